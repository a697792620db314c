// Sends what the outbox keeps: on page load, when the phone is back online, after a failure
// a little later, and at once when a report is written. A photo larger than one request should
// carry goes up in resumable chunks (POST /uploads, PUT /uploads/<id>/chunks/<n>; after a
// break GET /uploads/<id> says which chunks the server has, and only the missing ones are
// sent); then POST /reports names the uploads, with the entry's own Idempotency-Key.
import { ApiFailure, call, rememberReport } from "./api.js";
import { announce, outboxEntries, outboxEntry, removeEntry, saveEntry } from "./outbox.js";

// Photos up to this size go in the report's own request (one round trip on a good signal).
export const CHUNKED_FROM = 256 * 1024;
const RETRY_MS = [5_000, 15_000, 30_000, 60_000];
let running = null;
let retries = 0;
let timer = null;

// Worth trying again later: no network, a gateway or service away, too many requests.
export function passing(err) {
  return !(err instanceof ApiFailure) || err.status >= 500 || err.status === 429
    || err.status === 408;
}

// A refusal that a retry would repeat but a new upload of the same photo may not (the server
// forgot the upload, or its bytes arrived damaged): one new upload per attempt, then the
// refusal stands.
const UPLOAD_TROUBLE = ["upload_not_found", "upload_expired", "upload_incomplete",
  "upload_checksum_mismatch"];
const renewable = (err) => err instanceof ApiFailure && !passing(err) && err.status !== 413;
// An address behind which many phones share one public IP (carrier NAT) may have too many
// uploads open for a while: tried again with the back-off, then left for the resident.
const BUSY_TRIES = 10;
// A request that hangs on a weak signal is given up (and tried again later, as a lost one):
// a chunk (256 KiB) within 30 s, the report (the server assembles and checks the photos) 90 s.
const CHUNK_TIMEOUT_MS = 30_000;
const REPORT_TIMEOUT_MS = 90_000;
const timeout = (ms) => (AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined);

async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function startUpload(entry, photo) {
  const state = await call("/uploads", { method: "POST", json: {
    size: photo.file.size, content_type: photo.file.type || "image/jpeg",
    sha256: await sha256(photo.file) } });
  photo.upload = state.id;
  if (!await saveEntry(entry)) throw new Gone();
  return state;
}

// What the server has of the photo's upload; a new upload when it has forgotten it (expired).
async function uploadState(entry, photo) {
  if (!photo.upload) return startUpload(entry, photo);
  try {
    return await call(`/uploads/${encodeURIComponent(photo.upload)}`);
  } catch (err) {
    if (renewable(err)) return startUpload(entry, photo);
    throw err;
  }
}

async function sendChunks(entry, photo, done) {
  let state = await uploadState(entry, photo);
  const size = state.chunk_size;
  const have = (s) => s.received.reduce((n, i) => n + Math.min(size, photo.file.size - i * size), 0);
  entry.sent_bytes = done + have(state);
  if (!await saveEntry(entry)) throw new Gone();
  for (const index of state.missing) {
    const chunk = photo.file.slice(index * size, Math.min(photo.file.size, (index + 1) * size));
    try {
      state = await call(`/uploads/${encodeURIComponent(photo.upload)}/chunks/${index}`,
        { method: "PUT", body: chunk, signal: timeout(CHUNK_TIMEOUT_MS),
          headers: { "Content-Type": "application/octet-stream" } });
    } catch (err) {
      // Already filed (by another tab, or an answer lost on its way back): the report's
      // request with the same key is answered from that filing.
      if (err instanceof ApiFailure && err.code === "upload_used") return photo.upload;
      throw err;
    }
    entry.sent_bytes = done + have(state);
    if (!await saveEntry(entry)) throw new Gone();
  }
  return photo.upload;
}

async function fileReport(entry, form) {
  return call("/reports", { method: "POST", form, signal: timeout(REPORT_TIMEOUT_MS),
    headers: { "Idempotency-Key": entry.key } });
}

// The entry left the outbox while this tab was sending it (filed from another tab, deleted).
class Gone extends Error {}

async function sendEntry(entry, renewed = false) {
  entry.state = "sending";
  entry.error = null;
  if (!await saveEntry(entry)) throw new Gone();
  const form = new FormData();
  const uploads = [];
  let done = 0;
  for (const photo of entry.photos) {
    if (photo.file.size > CHUNKED_FROM) uploads.push(await sendChunks(entry, photo, done));
    else form.append("photo", photo.file, photo.file.name || "photo.jpg");
    done += photo.file.size;
  }
  form.append("report", JSON.stringify(uploads.length ? { ...entry.report, uploads }
    : entry.report));
  let receipt;
  try {
    receipt = await fileReport(entry, form);
  } catch (err) {
    if (renewed || !(err instanceof ApiFailure) || !UPLOAD_TROUBLE.includes(err.code)) throw err;
    const gone = (err.details || {}).upload;
    for (const photo of entry.photos) {
      if (photo.upload === gone && err.code !== "upload_incomplete") photo.upload = null;
    }
    return sendEntry(entry, true);
  }
  rememberReport(receipt.code, receipt.token);
  await removeEntry(entry.id);
  announce({ id: entry.id, state: "sent", code: receipt.code });
  window.dispatchEvent(new CustomEvent("aduan:mine", { detail: receipt }));
  return receipt;
}

// One tab at a time sends an entry (Web Locks, shared by the site's tabs): another tab
// sending it already is left to it ({busy: true}).
async function exclusively(id, work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(`aduan-outbox-${id}`, { ifAvailable: true },
    (lock) => (lock ? work() : { busy: true }));
}

// Tries one entry: its receipt, or the failure (kept "waiting" when worth another try, or
// "failed" with the server's answer, which a retry would only repeat).
export const trySend = (id) => exclusively(id, () => tryEntry(id));

async function tryEntry(id) {
  const entry = await outboxEntry(id);
  if (!entry) return { missing: true };
  try {
    return { receipt: await sendEntry(entry) };
  } catch (err) {
    if (err instanceof Gone) return { missing: true };
    entry.busy_tries = err.code === "too_many_uploads" ? (entry.busy_tries || 0) + 1 : 0;
    const later = passing(err) && entry.busy_tries < BUSY_TRIES;
    entry.state = later ? "waiting" : "failed";
    // The code, translated when drawn (mine.js); the server's message for codes it can't name.
    // (A DOMException's numeric code, a timeout's, is no API code: "network".)
    entry.error = { code: err instanceof ApiFailure ? err.code : "network", message: err.message };
    if (!later) entry.busy_tries = 0; // "Send now" starts counting again
    await saveEntry(entry);
    const retryAfter = Number(((err.details || {}).retry_after) || 0) * 1000;
    return { error: err, later, retryAfter };
  }
}

// The next try after the back-off, or after the wait a 429 named, whichever is later.
function schedule(retryAfter = 0) {
  clearTimeout(timer);
  timer = setTimeout(flush, Math.max(retryAfter, RETRY_MS[Math.min(retries, RETRY_MS.length - 1)]));
  retries += 1;
}

// Sends every waiting entry, oldest first, one at a time and one run at a time (an entry
// another tab is sending is skipped: see `exclusively`).
export function flush() {
  running = running || (async () => {
    try {
      let waiting = null;
      for (const entry of await outboxEntries()) {
        if (entry.state === "failed") continue;
        const result = await trySend(entry.id);
        if (result.later) { waiting = result; break; }
      }
      if (waiting) schedule(waiting.retryAfter); else retries = 0;
    } finally { running = null; }
  })();
  return running;
}

// The report just written: sent at once (after a run already under way), its result returned.
export async function sendNow(id) {
  while (running) await running.catch(() => {});
  const attempt = trySend(id);
  running = attempt.finally(() => { running = null; });
  const result = await attempt;
  if (result.later) schedule(result.retryAfter);
  return result;
}

export function startSending() {
  window.addEventListener("online", () => { retries = 0; flush(); });
  flush().catch(() => {});
}
