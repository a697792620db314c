// Reports kept on the phone until they are filed (IndexedDB, database "aduan", store "outbox").
// An entry: {id, key (the Idempotency-Key, made once: every retry sends the same one, so the
// report is filed once), report (the JSON), photos: [{file (the original File, its bytes and
// EXIF as the camera wrote them), upload (the resumable upload's id, once made)}],
// state "waiting" | "sending" | "failed", sent_bytes, total_bytes, error, created_at}.
// A filed report leaves the outbox (its code and token go to localStorage, api.js).
const NAME = "aduan";
const STORE = "outbox";
let opened = null;

function database() {
  opened = opened || new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => { opened = null; reject(request.error); };
  });
  return opened;
}

// Where IndexedDB cannot be opened (a private window of some browsers), the page still
// sends: entries live in memory for the visit (they cannot wait for a later one).
const memory = new Map();
const inMemory = {
  getAll: () => ({ result: [...memory.values()] }),
  // (onsuccess runs at once, as saveEntry's get-then-put expects of a request)
  get: (id) => ({ result: memory.get(id), set onsuccess(done) { done(); } }),
  getAllKeys: () => ({ result: [...memory.keys()] }),
  put: (entry) => ({ result: memory.set(entry.id, entry) && entry.id }),
  add: (entry) => ({ result: memory.set(entry.id, entry) && entry.id }),
  delete: (id) => ({ result: memory.delete(id) && undefined }),
};

async function store(mode, work) {
  let db;
  try { db = await database(); } catch { return work(inMemory).result; }
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request && request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

// Oldest first (the order they were written), whatever their random ids.
export const outboxEntries = async () => (await store("readonly", (s) => s.getAll()))
  .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
export const outboxEntry = (id) => store("readonly", (s) => s.get(id));
// Changes are announced on this page ("aduan:outbox") and to the site's other tabs, which
// announce them on theirs: a tab that did not send an entry still sees it go.
const tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel("aduan-outbox") : null;
if (tabs) {
  tabs.onmessage = (event) => window.dispatchEvent(new CustomEvent("aduan:outbox",
    { detail: { ...event.data, elsewhere: true } }));
}
export function announce(detail) {
  window.dispatchEvent(new CustomEvent("aduan:outbox", { detail }));
  if (tabs) {
    const { id, state, sent_bytes: sent, total_bytes: total, code } = detail;
    tabs.postMessage({ id, state, sent_bytes: sent, total_bytes: total, code });
  }
}

export async function removeEntry(id) {
  await store("readwrite", (s) => s.delete(id));
  announce({ id, state: "removed" });
}

// Written over the kept entry only while it is still kept (read and written in one
// transaction): an entry another tab filed and removed meanwhile is not brought back.
export async function saveEntry(entry) {
  const kept = await store("readwrite", (s) => {
    const found = s.get(entry.id);
    found.onsuccess = () => { if (found.result) s.put(entry); };
    return found;
  });
  if (!kept) return null;
  announce(entry);
  return entry;
}

// A new entry (saveEntry only updates one still kept).
async function addEntry(entry) {
  await store("readwrite", (s) => s.add(entry));
  announce(entry);
  return entry;
}

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function keepReport(report, files) {
  // Asks the browser not to clear this site's storage when space runs low.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const key = randomKey();
  return addEntry({ id: key, key, report, photos: files.map((file) => ({ file, upload: null })),
    state: "waiting", sent_bytes: 0, total_bytes: files.reduce((n, f) => n + f.size, 0),
    error: null, created_at: new Date().toISOString() });
}
