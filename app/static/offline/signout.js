// Signing out deletes everything Waypoint keeps in this browser (the server answers with Clear-Site-Data), the
// offline outbox too. So before signing out — from the offline app or from any page of the main site — this asks
// first when the device holds items that are not in Waypoint yet: how many, "send them now" when there is a
// connection, or "sign out and delete them" as a choice of its own. A browser without JavaScript has no outbox,
// so the sign-out form works as it always did there.
//
// Loaded as a module by the main site's layout (no inline script: CSP) and imported by the offline app.
import * as store from './store.js'
import * as outbox from './outbox.js'
import { h } from './pages.js'

const OUTBOX_URL = '/offline/outbox'

// { waiting, held }: items not in Waypoint yet. Makes no store where there is none.
export async function pendingCounts () {
  try {
    if (!(await store.exists())) return { waiting: 0, held: 0 }
    const items = await store.outboxItems()
    return {
      waiting: items.filter((i) => i.state === 'waiting' || i.state === 'sending').length,
      held: items.filter((i) => i.state === 'held').length
    }
  } catch (e) {
    return { waiting: 0, held: 0 }
  }
}

function plural (n, one, many) { return `${n} ${n === 1 ? one : many}` }

function closeWarning () {
  for (const el of document.querySelectorAll('[data-sign-out-warning]')) el.remove()
}

// The warning. actions: { send (optional; returns a note when not everything went), deleteAndSignOut, stay }.
function render (counts, actions, note) {
  closeWarning()
  const total = counts.waiting + counts.held
  const canSend = counts.waiting > 0 && navigator.onLine && actions.send
  let busy = false
  const guarded = (fn) => async (event) => {
    if (busy) return
    busy = true
    for (const b of box.querySelectorAll('button')) b.disabled = true
    try { await fn(event) } finally { busy = false }
  }
  const box = h('div', {
    class: 'govuk-notification-banner wp-sign-out-warning', role: 'alert', tabindex: '-1',
    'aria-labelledby': 'sign-out-warning-title', 'data-sign-out-warning': true
  },
  h('div', { class: 'govuk-notification-banner__header' },
    h('h2', { class: 'govuk-notification-banner__title', id: 'sign-out-warning-title' }, 'Before you sign out')),
  h('div', { class: 'govuk-notification-banner__content' },
    h('p', { class: 'govuk-notification-banner__heading' },
      `${plural(total, 'item', 'items')} on this device ${total === 1 ? 'is' : 'are'} not in Waypoint yet`),
    h('ul', { class: 'govuk-list govuk-list--bullet' },
      counts.waiting ? h('li', {}, `${counts.waiting} waiting to be sent`) : null,
      counts.held ? h('li', {}, `${counts.held} held: Waypoint did not accept ${counts.held === 1 ? 'it' : 'them'} and ${counts.held === 1 ? 'it needs' : 'they need'} you to decide`) : null),
    h('p', { class: 'govuk-body' },
      `Signing out deletes everything Waypoint keeps on this device, and ${total === 1 ? 'this item' : 'these items'} with it. ${total === 1 ? 'It' : 'They'} cannot be got back.`),
    counts.waiting && !navigator.onLine
      ? h('p', { class: 'govuk-body' }, 'There is no connection, so they cannot be sent now. Stay signed in and they are sent when the connection returns.')
      : null,
    note ? h('p', { class: 'govuk-body', 'data-sign-out-note': true }, note) : null,
    h('div', { class: 'govuk-button-group' },
      canSend
        ? h('button', {
          type: 'button', class: 'govuk-button', 'data-sign-out-send': true,
          onclick: guarded(async () => {
            const failed = await actions.send()
            const now = await pendingCounts()
            if (!now.waiting && !now.held) return actions.signOut()
            render(now, actions, failed || `${counts.waiting - now.waiting} sent.`)
          })
        }, counts.held
          ? `Send the waiting ${counts.waiting === 1 ? 'one' : 'ones'} now`
          : `Send ${counts.waiting === 1 ? 'it' : 'them'} now, then sign out`)
        : null,
      counts.held
        ? h('a', { class: 'govuk-link', href: OUTBOX_URL, 'data-sign-out-look': true }, `Look at the held item${counts.held === 1 ? '' : 's'}`)
        : null,
      h('button', {
        type: 'button', class: 'govuk-button govuk-button--warning', 'data-sign-out-delete': true,
        onclick: guarded(async () => { await store.wipeAll(); await actions.signOut() })
      }, `Sign out and delete ${total === 1 ? 'it' : 'them'}`),
      h('button', {
        type: 'button', class: 'govuk-button govuk-button--secondary', 'data-sign-out-stay': true,
        onclick: () => { closeWarning(); if (actions.stay) actions.stay() }
      }, 'Stay signed in'))))
  const main = document.querySelector('main') || document.body
  main.prepend(box)
  box.scrollIntoView({ block: 'start' })
  box.focus()
}

// Sign out through `actions.signOut()`, asking first when items would be lost.
export async function guardSignOut (actions) {
  const counts = await pendingCounts()
  if (!counts.waiting && !counts.held) return actions.signOut()
  render(counts, actions)
}

// --- the main site's sign-out form -----------------------------------------------------------------------------

// Send the outbox from a page outside the offline app: ask for this device's key (and an outbox token, if the
// one held is missing or ended) with the signed-in session, then send. Returns a note when something stayed.
async function sendFromHere (csrfToken) {
  let response
  try {
    let key = await store.tabKey()
    const needToken = !key || !(await store.loadToken(key))
    response = await fetch('/offline/sync', {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken, Accept: 'application/json' },
      body: JSON.stringify({ device_id: await store.deviceId(), need_token: needToken })
    })
    if (response.status === 410) return 'This device’s offline copy was withdrawn by an administrator, so its items cannot be sent.'
    if (response.type === 'opaqueredirect' || response.status === 401) {
      return 'Your session has ended, so nothing was sent. Sign in again to send them; signing out now deletes them.'
    }
    if (!response.ok) return 'Waypoint could not be reached. Nothing was sent.'
    const answer = await response.json()
    key = await store.keyFrom(answer.key)
    if (answer.api_token) await store.saveToken(key, answer.api_token)
    let result = await outbox.flush(key)
    if (result.stopped === 'token' || result.stopped === 'no-token') {
      const again = await fetch('/offline/sync', {
        method: 'POST', credentials: 'same-origin', redirect: 'manual',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken, Accept: 'application/json' },
        body: JSON.stringify({ device_id: await store.deviceId(), need_token: true })
      })
      if (again.ok) {
        await store.saveToken(key, (await again.json()).api_token)
        result = await outbox.flush(key)
      }
    }
    if (result.stopped) return `${result.sent} sent. The rest could not be sent just now.`
    if (result.held) return `${result.sent} sent. Waypoint did not accept ${plural(result.held, 'item', 'items')}: look at ${result.held === 1 ? 'it' : 'them'} before you decide.`
    return null
  } catch (e) {
    return 'Something went wrong while sending. Nothing more was sent.'
  }
}

function guardForm (form) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.confirmed === 'true') return
    event.preventDefault()
    const csrf = (form.querySelector('input[name=csrf_token]') || {}).value
    await guardSignOut({
      send: () => sendFromHere(csrf),
      signOut: () => {
        store.forgetKey()
        form.dataset.confirmed = 'true'
        form.submit()
      }
    })
  })
}

for (const form of document.querySelectorAll('form[data-sign-out-guard]')) guardForm(form)
