// The public API under /api/v1, as any client uses it: staff send their JWT, reporters the token
// they got when submitting (kept in localStorage, per report code).
const API = "/api/v1";
const STAFF_KEY = "aduan.staff";
const REPORTS_KEY = "aduan.reports";

export class ApiFailure extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error.details;
  }
}

export function staff() {
  try { return JSON.parse(sessionStorage.getItem(STAFF_KEY) || "null"); } catch { return null; }
}

export function setStaff(session) {
  if (session) sessionStorage.setItem(STAFF_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STAFF_KEY);
}

export function myReports() {
  try { return JSON.parse(localStorage.getItem(REPORTS_KEY) || "{}"); } catch { return {}; }
}

// `via`: "recovered" for the reporter's other reports a one-time code brought to this device.
export function rememberReport(code, token, via) {
  const reports = myReports();
  reports[code] = { token, at: new Date().toISOString(), ...(via ? { via } : {}) };
  localStorage.setItem(REPORTS_KEY, JSON.stringify(reports));
}

export function reporterToken(code) {
  return (myReports()[code] || {}).token || null;
}

async function refreshStaff() {
  const session = staff();
  if (!session || !session.refresh_token) return false;
  const response = await fetch(`${API}/auth/refresh`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refresh_token }),
  });
  if (!response.ok) { setStaff(null); return false; }
  setStaff(await response.json());
  return true;
}

// options: {method, json, form, body, reporter (code), asStaff, raw, headers, signal (a
// timeout: AbortSignal.timeout)}
export async function call(path, options = {}, retried = false) {
  const headers = { ...(options.headers || {}) };
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  } else if (options.body !== undefined) {
    body = options.body; // raw bytes (a photo's chunk), with the caller's Content-Type
  }
  const session = staff();
  if (options.asStaff && session) headers.Authorization = `Bearer ${session.access_token}`;
  if (options.reporter) {
    const token = reporterToken(options.reporter);
    if (token) headers["X-Reporter-Token"] = token;
  }
  const response = await fetch(`${API}${path}`, { method: options.method || "GET", headers, body,
    signal: options.signal });
  if (response.status === 401 && options.asStaff && !retried && await refreshStaff()) {
    return call(path, options, true);
  }
  if (options.raw && response.ok) return response;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

export const staffCall = (path, options = {}) => call(path, { ...options, asStaff: true });

// Photos are served by the gateway under the report's rules (a non-public report's photos
// only to its reporter and staff), so the page fetches them with the same headers as any call
// and shows the bytes; only the path of the address is used (same origin as the page).
export async function photoSrc(url, options = {}) {
  const path = new URL(url, window.location.href).pathname.replace(/^\/api\/v1/, "");
  const response = await call(path, { ...options, raw: true });
  return URL.createObjectURL(await response.blob());
}
