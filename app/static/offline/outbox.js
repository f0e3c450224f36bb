// The outbox (issue 14): what was saved on this phone goes to /api/v1 with its own Idempotency-Key.
//
// An item is marked 'sending' *before* it is posted, so a tab closed mid-send leaves it 'sending'; the next
// flush posts it again with the same key and the server answers with what it did the first time, so nothing
// is made twice. Refused items are 'held' with the server's reason and what changed on the case; they are
// never dropped and never sent again on their own.
import * as store from './store.js'

const API = '/api/v1'

function apiHeaders (token, item) {
  return {
    Authorization: 'Bearer ' + token.token,
    'Idempotency-Key': item.key,
    'Content-Type': 'application/json',
    Accept: 'application/json, application/problem+json'
  }
}

function endpoint (item, payload) {
  return item.kind === 'contact' ? `${API}/referrals/${payload.case.id}/contacts` : `${API}/referrals`
}

async function readJson (response) {
  try { return await response.json() } catch (e) { return {} }
}

function problemText (problem) {
  if (!problem) return 'Waypoint did not accept it.'
  const parts = [problem.detail || problem.title || problem.message || problem.error]
  const errors = Array.isArray(problem.errors)
    ? problem.errors.map((e) => e.message)
    : Object.values(problem.errors || {}).flat()
  for (const message of errors) {
    if (message && !parts.includes(message)) parts.push(message)
  }
  return parts.filter(Boolean).join(' ') || 'Waypoint did not accept it.'
}

function ukDate (iso) {
  if (!iso) return ''
  return new Date(iso.length === 10 ? iso + 'T12:00:00' : iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })
}

// What happened to the case on the server since it was copied to the phone, in plain words.
export async function whatChanged (payload, token) {
  if (!payload.case) return []
  const baseline = payload.case
  const headers = { Authorization: 'Bearer ' + token.token, Accept: 'application/json' }
  let response
  try {
    response = await fetch(`${API}/referrals/${baseline.id}`, { headers, credentials: 'omit' })
  } catch (e) {
    return ['Could not check the case: no connection.']
  }
  if (response.status === 404) {
    return ['You can no longer see this case: it may have moved to another organisation or been restricted.']
  }
  if (!response.ok) return []
  const now = await readJson(response)
  const changes = []
  if (now.status === 'closed' && baseline.status !== 'closed') {
    changes.push(`The case was closed${now.closed_on ? ' on ' + ukDate(now.closed_on) : ''}` +
      `${now.closure_reason ? ' (' + now.closure_reason + ')' : ''}.`)
  } else if (now.status && now.status !== baseline.status) {
    changes.push(`Its status changed from ${baseline.status_label || baseline.status} to ${now.status.replace(/_/g, ' ')}.`)
  }
  if (now.assigned_worker_id !== undefined && now.assigned_worker_id !== baseline.assigned_worker_id) {
    changes.push('The case was given to another worker.')
  }
  try {
    const since = encodeURIComponent(payload.copied_at)
    const contacts = await fetch(`${API}/referrals/${baseline.id}/contacts?updated_since=${since}`, { headers, credentials: 'omit' })
    if (contacts.ok) {
      const page = await readJson(contacts)
      const count = (page.items || page.data || []).length
      if (count) changes.push(`${count} contact${count === 1 ? ' was' : 's were'} logged on the case since you copied it.`)
    }
  } catch (e) { /* the case itself was checked; this is extra */ }
  if (!changes.length && now.version !== undefined && now.version !== baseline.version) {
    changes.push('The case was changed on Waypoint since you copied it.')
  }
  return changes
}

// Send what waits. Returns { sent, held, stopped } where stopped says why it stopped early, if it did.
export async function flush (key, onChange) {
  const token = await store.loadToken(key)
  if (!token) return { sent: 0, held: 0, stopped: 'no-token' }
  let sent = 0
  let held = 0
  for (const item of await store.outboxItems()) {
    if (item.state !== 'waiting' && item.state !== 'sending') continue
    const payload = await store.unseal(key, item.sealed)
    item.state = 'sending'
    item.tried_at = new Date().toISOString()
    await store.putItem(item)
    let response
    try {
      response = await fetch(endpoint(item, payload), {
        method: 'POST', headers: apiHeaders(token, item), body: JSON.stringify(payload.body), credentials: 'omit'
      })
    } catch (e) {
      item.state = 'waiting'
      await store.putItem(item)
      if (onChange) onChange()
      return { sent, held, stopped: 'offline' }
    }
    const body = await readJson(response)
    if (response.ok) {
      item.state = 'sent'
      item.sent_at = new Date().toISOString()
      item.replayed = response.headers.get('Idempotent-Replayed') === 'true'
      item.result = await store.seal(key, { id: body.id, warnings: body.warnings || [] })
      sent++
    } else if (response.status === 401 || response.status === 429 || response.status >= 500 ||
               (response.status === 409 && response.headers.get('Retry-After'))) {
      // Not refused: the token ran out, we are going too fast, the server is unwell, or the first send is
      // still being worked on. Leave it waiting.
      item.state = 'waiting'
      await store.putItem(item)
      if (onChange) onChange()
      return { sent, held, stopped: response.status === 401 ? 'token' : 'server' }
    } else {
      item.state = 'held'
      item.held_at = new Date().toISOString()
      item.held = await store.seal(key, {
        status: response.status,
        message: problemText(body),
        candidates: body.candidates || [],
        changes: await whatChanged(payload, token)
      })
      held++
    }
    await store.putItem(item)
    if (onChange) onChange()
  }
  return { sent, held, stopped: null }
}

// The worker decided: send a held item again (a new key, since what is sent may differ).
export async function retry (key, itemKey, changePayload) {
  const item = (await store.outboxItems()).find((i) => i.key === itemKey)
  if (!item || item.state !== 'held') return
  if (changePayload) {
    const payload = await store.unseal(key, item.sealed)
    changePayload(payload)
    item.sealed = await store.seal(key, payload)
  }
  item.key = store.newIdempotencyKey()
  item.state = 'waiting'
  delete item.held
  await store.deleteItem(itemKey)
  await store.putItem(item)
}
