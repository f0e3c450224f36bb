// The offline store (issue 14): IndexedDB through idb, every personal field sealed with AES-GCM.
//
// The key: 32 random bytes held by the server for this browser and handed only to the signed-in worker
// (POST /offline/sync). The page keeps them in sessionStorage for the life of the tab (so moving between the
// offline pages works without a connection) and derives from them, with HKDF, a non-extractable AES-GCM key.
// Nothing key-like is ever written to IndexedDB: close the tab and what is stored cannot be read until the
// worker signs in again. What is stored in the clear: an outbox item's random idempotency key, its kind,
// its state and when it was saved and sent — enough to say "2 waiting" on a locked phone, and nothing else.
import { openDB, deleteDB } from './vendor/idb/index.js'

const DB_NAME = 'waypoint-offline'
const KEY_SLOT = 'waypoint-offline-key'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

let dbPromise = null

export function database () {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade (db) {
        db.createObjectStore('meta')
        db.createObjectStore('data')
        db.createObjectStore('outbox', { keyPath: 'key' })
      },
      blocking () { closeDatabase() }
    })
  }
  return dbPromise
}

// Whether this browser holds an offline store at all, without making one (where the browser cannot list its
// databases, assume it may).
export async function exists () {
  if (!indexedDB.databases) return true
  return (await indexedDB.databases()).some((d) => d.name === DB_NAME)
}

export async function closeDatabase () {
  if (dbPromise) {
    const db = await dbPromise
    dbPromise = null
    db.close()
  }
}

function randomId () {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

// This browser's offline id: random, made once, kept in the clear (it identifies the browser, not a person).
export async function deviceId () {
  const db = await database()
  let id = await db.get('meta', 'device_id')
  if (!id) {
    id = randomId()
    await db.put('meta', id, 'device_id')
  }
  return id
}

export function newIdempotencyKey () {
  return 'offline-' + (crypto.randomUUID ? crypto.randomUUID() : randomId())
}

// --- the key ------------------------------------------------------------------------------------------------

function fromBase64Url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

async function deriveKey (material) {
  const base = await crypto.subtle.importKey('raw', fromBase64Url(material), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('waypoint-offline-v1'), info: encoder.encode('store') },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

// The key from its material, without keeping the material in this tab (a page outside the offline app that
// only needs to send the outbox before signing out).
export function keyFrom (material) {
  return deriveKey(material)
}

export async function keepKey (material) {
  sessionStorage.setItem(KEY_SLOT, material)
  return deriveKey(material)
}

export async function tabKey () {
  const material = sessionStorage.getItem(KEY_SLOT)
  return material ? deriveKey(material) : null
}

export function forgetKey () {
  sessionStorage.removeItem(KEY_SLOT)
}

export async function seal (key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(JSON.stringify(value)))
  return { iv, ct: new Uint8Array(ct) }
}

export async function unseal (key, sealed) {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, sealed.ct)
  return JSON.parse(decoder.decode(plain))
}

// --- the caseload copy --------------------------------------------------------------------------------------

export async function saveCaseload (key, data) {
  const db = await database()
  const expires = Date.now() + data.max_age_hours * 3600 * 1000
  await db.put('data', { sealed: await seal(key, data), copied_at: Date.now(), expires_at: expires }, 'caseload')
  await db.put('meta', data.max_age_hours, 'max_age_hours')
}

// The copy, or null: none, past its maximum age (then it is deleted), or not readable with this key.
export async function loadCaseload (key) {
  const db = await database()
  const row = await db.get('data', 'caseload')
  if (!row) return { data: null, reason: 'none' }
  if (Date.now() > row.expires_at) {
    await db.delete('data', 'caseload')
    await db.delete('data', 'token')
    return { data: null, reason: 'expired' }
  }
  if (!key) return { data: null, reason: 'locked' }
  try {
    return { data: await unseal(key, row.sealed), reason: null, copiedAt: row.copied_at }
  } catch (e) {
    return { data: null, reason: 'locked' }
  }
}

export async function wipeCaseload () {
  const db = await database()
  await db.delete('data', 'caseload')
  await db.delete('data', 'token')
}

// The outbox's API token, sealed like everything else.
export async function saveToken (key, token) {
  const db = await database()
  await db.put('data', { sealed: await seal(key, token) }, 'token')
  // When it expires is no secret, and knowing it without the key lets a reopened tab keep the same token
  // (the API's idempotency keys belong to the token that sent them).
  await db.put('meta', token.expires_at, 'token_expires_at')
}

export async function tokenExpiresAt () {
  const db = await database()
  const row = await db.get('data', 'token')
  return row ? Date.parse(await db.get('meta', 'token_expires_at') || '') || 0 : 0
}

export async function loadToken (key) {
  const db = await database()
  const row = await db.get('data', 'token')
  if (!row || !key) return null
  try {
    const token = await unseal(key, row.sealed)
    return token && Date.parse(token.expires_at) > Date.now() ? token : null
  } catch (e) {
    return null
  }
}

// Everything: the caseload, the outbox, the key. Signing out, a revoked device.
export async function wipeAll () {
  forgetKey()
  await closeDatabase()
  await deleteDB(DB_NAME)
}

// --- the outbox ---------------------------------------------------------------------------------------------

export async function addToOutbox (key, kind, payload) {
  const db = await database()
  const item = {
    key: newIdempotencyKey(),
    kind,
    state: 'waiting',
    saved_at: new Date().toISOString(),
    sent_at: null,
    sealed: await seal(key, payload)
  }
  await db.put('outbox', item)
  return item
}

export async function outboxItems () {
  const db = await database()
  const items = await db.getAll('outbox')
  return items.sort((a, b) => a.saved_at.localeCompare(b.saved_at))
}

export async function putItem (item) {
  const db = await database()
  await db.put('outbox', item)
}

export async function deleteItem (itemKey) {
  const db = await database()
  await db.delete('outbox', itemKey)
}

export async function waitingCount () {
  const items = await outboxItems()
  return items.filter((i) => i.state === 'waiting' || i.state === 'sending').length
}

// Sent items are kept to show when each was sent, for as long as the caseload copy may be; then they go.
export async function pruneSent (maxAgeHours) {
  const cutoff = Date.now() - maxAgeHours * 3600 * 1000
  for (const item of await outboxItems()) {
    if (item.state === 'sent' && item.sent_at && Date.parse(item.sent_at) < cutoff) await deleteItem(item.key)
  }
}

export async function maxAgeHours () {
  const db = await database()
  return (await db.get('meta', 'max_age_hours')) || 12
}
