// The offline app's start-up (issue 14). On every opening: register the service worker; if there is a
// connection, ask the server for this browser's key and a fresh copy of the caseload (this also tells us if the
// worker was signed out or the browser revoked, and then wipes), then send what waits in the outbox.
import { initAll } from '../govuk/govuk-frontend.min.js'
import * as store from './store.js'
import * as outbox from './outbox.js'
import * as pages from './pages.js'
import { guardSignOut } from './signout.js'

const body = document.body
const page = body.dataset.page
body.classList.add('js-enabled', 'govuk-frontend-supported')

let key = null
let flushing = null
let lastSendToken = null

function setConnection (text) {
  document.querySelector('[data-connection]').replaceChildren(
    pages.h('p', { class: 'govuk-body-s wp-connection__text' }, text))
}

async function refreshCount () {
  const waiting = await store.waitingCount()
  const held = (await store.outboxItems()).filter((i) => i.state === 'held').length
  for (const el of document.querySelectorAll('[data-outbox-count]')) {
    const parts = [waiting ? String(waiting) : null, held ? `${held} held` : null].filter(Boolean)
    el.textContent = parts.length ? `(${parts.join(', ')})` : ''
  }
  for (const el of document.querySelectorAll('[data-online-only]')) el.hidden = !navigator.onLine
  const state = navigator.onLine ? 'Online.' : 'No connection: what you save stays on this phone, encrypted, until it can be sent.'
  setConnection(`${state} ${waiting ? `${waiting} waiting to be sent.` : 'Nothing waiting to be sent.'}${held ? ` ${held} held: see ‘Waiting to be sent’.` : ''}`)
  return waiting
}

function showLocked (heading, detail) {
  const box = document.querySelector('[data-locked]')
  box.querySelector('[data-locked-heading]').textContent = heading
  box.querySelector('[data-locked-detail]').textContent = detail || ''
  box.hidden = false
  for (const el of document.querySelectorAll('[data-loading]')) el.remove()
}

// { token, signedIn }; throws when the server cannot be reached.
async function csrf () {
  const response = await fetch('/offline/csrf', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (!response.ok) throw new Error('server')
  const answer = await response.json()
  return { token: answer.csrf_token, signedIn: answer.signed_in }
}

// 'active' (key and copy refreshed), 'signed-out', 'revoked', or 'unreachable'.
async function syncWithServer (forceToken = false) {
  const deviceId = await store.deviceId()
  let token, signedIn
  try {
    ({ token, signedIn } = await csrf())
  } catch (e) {
    return 'unreachable'
  }
  if (!signedIn) {
    try {
      const state = await fetch('/offline/device-state', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token },
        body: JSON.stringify({ device_id: deviceId })
      }).then((r) => r.json())
      return state.state === 'revoked' ? 'revoked' : 'signed-out'
    } catch (e) {
      return 'unreachable'
    }
  }
  // A fresh outbox token when the one held is missing, ended, or has less than two hours left. An item's key
  // belongs to the worker, not to the token, so an item cut off mid-send may be resent under a new token.
  const needToken = forceToken || (await store.tokenExpiresAt()) - Date.now() < 2 * 3600 * 1000
  let response
  try {
    response = await fetch('/offline/sync', {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token, Accept: 'application/json' },
      body: JSON.stringify({ device_id: deviceId, need_token: needToken, unsent: (await store.waitingCount()) > 0 })
    })
  } catch (e) {
    return 'unreachable'
  }
  if (response.status === 410) {
    // Withdrawn. If we are its own worker, still signed in, with items waiting, the server gives a few minutes
    // to send them before the wipe.
    try { lastSendToken = (await response.json()).api_token || null } catch (e) { lastSendToken = null }
    return 'revoked'
  }
  if (response.type === 'opaqueredirect' || response.status === 401) return 'signed-out'
  if (!response.ok) return 'unreachable'
  const answer = await response.json()
  key = await store.keepKey(answer.key)
  await store.saveCaseload(key, answer.data)
  if (answer.api_token) await store.saveToken(key, answer.api_token)
  return 'active'
}

async function sendWaiting () {
  if (!key || !navigator.onLine) return
  if (flushing) return flushing
  flushing = (async () => {
    try {
      let result = await outbox.flush(key, refreshCount)
      if ((result.stopped === 'token' || result.stopped === 'no-token') && await syncWithServer(true) === 'active') {
        // The token was ended (signed out elsewhere, replaced on another tab): one more go with a new one.
        const more = await outbox.flush(key, refreshCount)
        result = { sent: result.sent + more.sent, held: result.held + more.held, stopped: more.stopped }
      }
      if (result.sent || result.held) {
        pages.flash(`${result.sent} sent to Waypoint${result.held ? `, ${result.held} held for you to look at` : ''}.`,
          result.held ? 'Some items need you' : 'Sent', !result.held)
      }
      if (page === 'outbox') await renderPage()
    } finally {
      flushing = null
      await refreshCount()
    }
  })()
  return flushing
}

const outboxActions = {
  async sendNow () { await sendWaiting() },
  async retry (itemKey) { await outbox.retry(key, itemKey); await renderPage(); await sendWaiting() },
  async recordAnyway (itemKey) {
    await outbox.retry(key, itemKey, (payload) => { payload.body.person.create_anyway = true })
    await renderPage()
    await sendWaiting()
  },
  async discard (itemKey, summary) {
    if (!window.confirm(`Discard “${summary}”? It has not been saved in Waypoint and cannot be got back.`)) return
    await store.deleteItem(itemKey)
    await renderPage()
    await refreshCount()
  }
}

async function renderPage () {
  const { data, reason } = await store.loadCaseload(key)
  if (data) {
    document.querySelector('[data-worker-name]').textContent = data.worker.name
    document.querySelector('[data-offline-user]').hidden = false
  }
  if (page === 'outbox') {
    await pages.renderOutbox(key, outboxActions)
    return
  }
  if (!data) {
    if (reason === 'locked' || (!key && reason !== 'expired' && reason !== 'none')) return
    const box = document.querySelector('[data-content]') || document.querySelector('main')
    if (page === 'contact' || page === 'refer') {
      document.querySelector('main').append(pages.noCopy(reason))
    } else {
      box.replaceChildren(pages.noCopy(reason))
    }
    return
  }
  const items = await Promise.all((await store.outboxItems()).map((i) => pages.describe(key, i)))
  if (page === 'caseload') {
    const pending = {}
    for (const d of items) if (d.caseId && d.item.state !== 'sent') pending[d.caseId] = (pending[d.caseId] || 0) + 1
    pages.renderCaseload(data, pending)
  } else if (page === 'case') {
    const id = new URLSearchParams(window.location.search).get('id')
    pages.renderCase(data, items.filter((d) => String(d.caseId) === String(id)))
  } else if (page === 'contact') {
    pages.setUpContactForm(data, key, refreshCount)
  } else if (page === 'refer') {
    pages.setUpReferForm(data, key, refreshCount)
  }
}

// Signing out deletes what this phone keeps; with items not in Waypoint yet, the worker is asked first
// (signout.js: send them now, or sign out and delete them).
async function signOut () {
  await guardSignOut({
    send: key
      ? async () => {
        await sendWaiting()
        return null
      }
      : null,
    signOut: finishSignOut,
    stay: refreshCount
  })
}

async function finishSignOut () {
  let token = null
  try { token = (await csrf()).token } catch (e) { token = null }
  await store.wipeAll()
  if (token) {
    const form = pages.h('form', { method: 'post', action: body.dataset.signOutUrl }, pages.h('input', { type: 'hidden', name: 'csrf_token', value: token }))
    document.body.append(form)
    form.submit()
  } else {
    window.location.href = body.dataset.signInUrl
  }
}

// The device was withdrawn (by an administrator): send what waits first when
// the server allowed it (its own worker, still signed in), then delete everything.
async function withdrawn () {
  let sent = 0
  let lost = await store.waitingCount()
  if (key && lastSendToken && lost) {
    await store.saveToken(key, lastSendToken)
    const result = await outbox.flush(key)
    sent = result.sent
    lost = await store.waitingCount() + (await store.outboxItems()).filter((i) => i.state === 'held').length
  } else {
    lost += (await store.outboxItems()).filter((i) => i.state === 'held').length
  }
  lastSendToken = null
  await store.wipeAll()
  key = null
  const told = [sent ? `${sent} item${sent === 1 ? ' was' : 's were'} sent to Waypoint first.` : null,
    lost ? `${lost} item${lost === 1 ? '' : 's'} not in Waypoint could not be sent and ${lost === 1 ? 'was' : 'were'} deleted.` : null,
    'Sign in to Waypoint to carry on.'].filter(Boolean).join(' ')
  showLocked('This phone’s offline copy was withdrawn, so it has been cleared.', told)
}

async function start () {
  initAll()
  pages.showFlashFromSession()
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {})
  }
  document.querySelector('[data-sign-out]').addEventListener('click', signOut)
  key = await store.tabKey()
  await store.pruneSent(await store.maxAgeHours())
  let state = 'unreachable'
  if (navigator.onLine) state = await syncWithServer()
  const waiting = await store.waitingCount()
  const waitingText = waiting ? `${waiting} item${waiting === 1 ? ' is' : 's are'} waiting to be sent; they are kept, locked, and sent after you sign in.` : ''
  if (state === 'revoked') {
    await withdrawn()
  } else if (state === 'signed-out') {
    // Signed out elsewhere, or the session ran out: the copy of the caseload goes now.
    await store.wipeCaseload()
    store.forgetKey()
    key = null
    showLocked('You are signed out, so your caseload was cleared from this phone.', waitingText)
  } else if (!key) {
    showLocked('This copy is locked. Connect and sign in to open it.', waitingText)
  }
  await renderPage()
  for (const el of document.querySelectorAll('[data-loading]')) el.remove()
  await refreshCount()
  if (state === 'active') await sendWaiting()
  window.addEventListener('online', async () => {
    const again = await syncWithServer()
    if (again === 'revoked') {
      await withdrawn()
      await renderPage()
    } else if (again === 'active') {
      document.querySelector('[data-locked]').hidden = true
      await renderPage()
      await sendWaiting()
    }
    await refreshCount()
  })
  window.addEventListener('offline', refreshCount)
  body.dataset.ready = 'true'
}

start()
