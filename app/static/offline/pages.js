// The offline pages: each fills its shell from the decrypted caseload. Every value from the store is put on the
// page as text (never as HTML), so a name cannot run as code.
import * as store from './store.js'

export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (name === 'class') el.className = value
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? '' : value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const dateFormat = { day: 'numeric', month: 'long', year: 'numeric' }
export function ukDate (iso) {
  if (!iso) return ''
  const d = new Date(iso.length === 10 ? iso + 'T12:00:00' : iso)
  return d.toLocaleDateString('en-GB', dateFormat)
}
export function ukDateTime (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return d.toLocaleDateString('en-GB', dateFormat) + ' at ' + d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
}

function content () { return document.querySelector('[data-content]') }
function fill (box, ...children) { box.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)) }
function param (name) { return new URLSearchParams(window.location.search).get(name) }
function findCase (data, id) { return (data.cases || []).find((c) => String(c.id) === String(id)) }

function statusTag (label, colour) {
  return h('strong', { class: `govuk-tag${colour ? ' govuk-tag--' + colour : ''}` }, label)
}

export function flash (text, heading = 'Saved on this phone', success = true) {
  const box = document.querySelector('[data-flash]')
  box.replaceChildren(h('div', { class: `govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}`, role: 'alert', 'aria-labelledby': 'flash-title' },
    h('div', { class: 'govuk-notification-banner__header' }, h('h2', { class: 'govuk-notification-banner__title', id: 'flash-title' }, success ? 'Success' : 'Important')),
    h('div', { class: 'govuk-notification-banner__content' }, h('p', { class: 'govuk-notification-banner__heading' }, heading), h('p', { class: 'govuk-body' }, text))))
}

export function showFlashFromSession () {
  const text = sessionStorage.getItem('waypoint-offline-flash')
  if (text) {
    sessionStorage.removeItem('waypoint-offline-flash')
    flash(text)
  }
}

function setFlashForNextPage (text) { sessionStorage.setItem('waypoint-offline-flash', text) }

function noCopy (reason, maxAge) {
  const why = reason === 'expired'
    ? `The copy of your caseload on this phone was more than ${maxAge || 12} hours old, so it was cleared. Connect and open this app to get a fresh copy.`
    : 'There is no copy of your caseload on this phone yet. Connect and open this app while signed in to get one.'
  return h('p', { class: 'govuk-body' }, why)
}

// --- My caseload --------------------------------------------------------------------------------------------

export function renderCaseload (data, pending) {
  const box = content()
  const cases = data.cases || []
  const rows = cases.map((c) => h('tr', { class: 'govuk-table__row' },
    h('td', { class: 'govuk-table__cell' }, h('a', { class: 'govuk-link', href: `case?id=${c.id}` }, c.name),
      c.age !== null && c.age !== undefined ? h('span', { class: 'govuk-body-s wp-muted' }, ` (${c.age})`) : null),
    h('td', { class: 'govuk-table__cell' }, c.programme, h('br'), h('span', { class: 'govuk-body-s wp-muted' }, c.site)),
    h('td', { class: 'govuk-table__cell' }, statusTag(c.status_label)),
    h('td', { class: 'govuk-table__cell' }, c.last_contact_at ? ukDate(c.last_contact_at) : 'No contact yet',
      pending[c.id] ? h('br') : null, pending[c.id] ? h('span', { class: 'govuk-body-s' }, `${pending[c.id]} saved on this phone`) : null),
    h('td', { class: 'govuk-table__cell' }, h('a', { class: 'govuk-link', href: `contact?id=${c.id}` }, 'Log a contact', h('span', { class: 'govuk-visually-hidden' }, ` for ${c.name}`)))))
  fill(box,
    h('p', { class: 'govuk-body' }, `${cases.length} open case${cases.length === 1 ? '' : 's'}, copied to this phone ${ukDateTime(data.copied_at)}.`),
    cases.length
      ? h('table', { class: 'govuk-table wp-offline-table' },
        h('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, 'Your open cases'),
        h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
          ...['Name', 'Programme', 'Status', 'Last contact', 'Action'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t)))),
        h('tbody', { class: 'govuk-table__body' }, rows))
      : h('p', { class: 'govuk-body' }, 'You have no open cases.'),
    h('a', { class: 'govuk-button govuk-button--secondary', href: 'refer' }, 'Record a referral for someone new'))
}

// --- Case summary -------------------------------------------------------------------------------------------

function summaryRow (key, value) {
  return h('div', { class: 'govuk-summary-list__row' }, h('dt', { class: 'govuk-summary-list__key' }, key), h('dd', { class: 'govuk-summary-list__value' }, value || 'Not recorded'))
}

export function renderCase (data, outboxForCase) {
  const c = findCase(data, param('id'))
  const box = content()
  if (!c) {
    fill(box, h('h1', { class: 'govuk-heading-l' }, 'Case not on this phone'),
      h('p', { class: 'govuk-body' }, 'Only your own open cases are kept on this phone. ', h('a', { class: 'govuk-link', href: './' }, 'Go to my caseload')))
    return
  }
  document.title = `${c.name} – Case summary – Waypoint offline`
  fill(box,
    h('span', { class: 'govuk-caption-l' }, c.programme),
    h('h1', { class: 'govuk-heading-l' }, c.name),
    h('dl', { class: 'govuk-summary-list' },
      summaryRow('Age', c.age !== null && c.age !== undefined ? String(c.age) : null),
      summaryRow('Programme', c.programme), summaryRow('Site', c.site), summaryRow('Status', c.status_label),
      summaryRow('Referred', ukDate(c.referred_on)), summaryRow('Reached', c.reached_on ? ukDate(c.reached_on) : 'Not yet'),
      summaryRow('Last contact', c.last_contact_at ? ukDateTime(c.last_contact_at) : 'No contact yet'),
      summaryRow('Contacts', String(c.contacts))),
    outboxForCase.length
      ? h('div', {}, h('h2', { class: 'govuk-heading-m' }, 'Saved on this phone'),
        h('ul', { class: 'govuk-list govuk-list--bullet' }, outboxForCase.map((i) => h('li', {}, `${i.summary} — ${i.stateLabel}`))))
      : null,
    h('a', { class: 'govuk-button', href: `contact?id=${c.id}` }, 'Log a contact'))
}

// --- Forms --------------------------------------------------------------------------------------------------

function showErrors (form, errors) {
  const summary = document.querySelector('[data-error-summary]')
  for (const group of form.querySelectorAll('[data-group]')) {
    group.classList.remove('govuk-form-group--error')
    const msg = group.querySelector('.govuk-error-message')
    if (msg) msg.hidden = true
    for (const input of group.querySelectorAll('input, select, textarea')) {
      input.classList.remove('govuk-input--error', 'govuk-select--error', 'govuk-textarea--error')
    }
  }
  if (!errors.length) {
    summary.hidden = true
    document.title = document.title.replace(/^Error: /, '')
    return
  }
  const list = summary.querySelector('[data-error-list]')
  list.replaceChildren(...errors.map(([field, text]) => {
    const group = form.querySelector(`[data-group="${field}"]`)
    const target = group.querySelector('input, select, textarea')
    group.classList.add('govuk-form-group--error')
    const msg = group.querySelector('.govuk-error-message')
    msg.querySelector('[data-message]').textContent = text
    msg.hidden = false
    for (const input of group.querySelectorAll('input.govuk-input')) input.classList.add('govuk-input--error')
    for (const input of group.querySelectorAll('select')) input.classList.add('govuk-select--error')
    for (const input of group.querySelectorAll('textarea')) input.classList.add('govuk-textarea--error')
    return h('li', {}, h('a', { href: `#${target.id}` }, text))
  }))
  summary.hidden = false
  if (!document.title.startsWith('Error: ')) document.title = 'Error: ' + document.title
  summary.focus()
}

function readDate (form, name) {
  const parts = ['day', 'month', 'year'].map((p) => form.querySelector(`#${name}-${p}`).value.trim())
  if (parts.every((p) => p === '')) return { empty: true }
  const [day, month, year] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN))
  const d = new Date(Date.UTC(year, month - 1, day))
  if (!year || year < 1900 || d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) return { invalid: true }
  return { iso: d.toISOString().slice(0, 10) }
}

function todayIso () {
  const now = new Date()
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`
}

function radioValue (form, name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`)
  return checked ? checked.value : null
}

export function contactFormErrors (form, c) {
  const errors = []
  const attended = radioValue(form, 'attended')
  if (!attended) errors.push(['attended', 'Say whether they attended'])
  const mode = radioValue(form, 'mode')
  if (!mode) errors.push(['mode', 'Choose how the contact happened'])
  const date = readDate(form, 'occurred_on')
  if (date.empty) errors.push(['occurred_on', 'Enter the date of the contact'])
  else if (date.invalid) errors.push(['occurred_on', 'Enter a real date, like 27 3 2026'])
  else if (date.iso > todayIso()) errors.push(['occurred_on', 'The contact date must be today or in the past'])
  else if (c.referred_on && date.iso < c.referred_on) errors.push(['occurred_on', `The contact date cannot be before the referral date (${ukDate(c.referred_on)})`])
  const time = form.querySelector('#occurred_time').value.trim()
  const timeMatch = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(time)
  if (!time) errors.push(['occurred_time', 'Enter the time of the contact, like 14:30'])
  else if (!timeMatch) errors.push(['occurred_time', 'Enter the time on the 24-hour clock, like 14:30'])
  const durationText = form.querySelector('#duration_minutes').value.trim()
  let duration = null
  if (durationText) {
    duration = /^\d+$/.test(durationText) ? Number(durationText) : NaN
    if (!(duration >= 0 && duration <= 720)) errors.push(['duration_minutes', 'Enter the duration as minutes between 0 and 720, like 45'])
  }
  const notes = form.querySelector('#notes').value
  if (notes.length > 5000) errors.push(['notes', 'Notes must be 5,000 characters or fewer'])
  if (errors.length) return { errors }
  const occurredAt = `${date.iso}T${timeMatch[1].padStart(2, '0')}:${timeMatch[2]}:00`
  return {
    errors,
    body: { occurred_at: occurredAt, mode, attended: attended === 'yes', duration_minutes: attended === 'yes' ? duration : null, notes: notes.trim() || null }
  }
}

export function setUpContactForm (data, key, afterSave) {
  const c = findCase(data, param('id'))
  const form = document.querySelector('[data-form="contact"]')
  if (!c) {
    content && document.querySelector('h1').replaceChildren('Case not on this phone')
    return
  }
  document.querySelector('[data-case-name]').textContent = c.name
  document.querySelector('[data-back]').setAttribute('href', `case?id=${c.id}`)
  form.hidden = false
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const { errors, body } = contactFormErrors(form, c)
    showErrors(form, errors)
    if (errors.length) return
    body.recorded_offline_at = new Date().toISOString()
    const summary = `Contact with ${c.name} on ${ukDate(body.occurred_at.slice(0, 10))} at ${body.occurred_at.slice(11, 16)}`
    await store.addToOutbox(key, 'contact', { case: c, copied_at: data.copied_at, body, summary })
    setFlashForNextPage(`${summary}. It will be sent to Waypoint when you have a connection.`)
    await afterSave()
    window.location.href = `case?id=${c.id}`
  })
}

export function referFormErrors (form, sites) {
  const errors = []
  const value = (id) => form.querySelector('#' + id).value.trim()
  const given = value('given_name')
  const family = value('family_name')
  if (!given) errors.push(['given_name', 'Enter their first name'])
  else if (given.length > 100) errors.push(['given_name', 'First name must be 100 characters or fewer'])
  if (!family) errors.push(['family_name', 'Enter their last name'])
  else if (family.length > 100) errors.push(['family_name', 'Last name must be 100 characters or fewer'])
  const dob = readDate(form, 'date_of_birth')
  if (dob.empty) errors.push(['date_of_birth', 'Enter their date of birth'])
  else if (dob.invalid) errors.push(['date_of_birth', 'Enter a real date of birth, like 27 3 2008'])
  else if (dob.iso > todayIso()) errors.push(['date_of_birth', 'The date of birth must be in the past'])
  const siteId = Number(value('site_id'))
  const site = sites.find((s) => s.id === siteId)
  if (!site) errors.push(['site_id', 'Choose a programme and site'])
  const referred = readDate(form, 'referred_on')
  if (referred.empty) errors.push(['referred_on', 'Enter the referral date'])
  else if (referred.invalid) errors.push(['referred_on', 'Enter a real date, like 27 3 2026'])
  else if (referred.iso > todayIso()) errors.push(['referred_on', 'The referral date must be today or in the past'])
  else if (dob.iso && referred.iso < dob.iso) errors.push(['referred_on', 'The referral date cannot be before their date of birth'])
  const source = value('source')
  if (!source) errors.push(['source', 'Choose who referred them'])
  const reason = value('reason')
  if (!reason) errors.push(['reason', 'Enter the reason for the referral'])
  else if (reason.length > 5000) errors.push(['reason', 'Keep the reason to 5,000 characters or fewer'])
  const basis = radioValue(form, 'lawful_basis')
  if (!basis) errors.push(['lawful_basis', 'Choose the lawful basis'])
  const consent = form.querySelector('#consent_recorded').checked
  if (basis === 'consent' && !consent) errors.push(['consent_recorded', 'When the lawful basis is consent, confirm that consent has been recorded'])
  if (errors.length) return { errors }
  return {
    errors,
    body: {
      person: { given_name: given, family_name: family, date_of_birth: dob.iso },
      programme_id: site.programme_id, site_id: site.id, referred_on: referred.iso, source, reason,
      lawful_basis: basis, consent_recorded: consent
    },
    name: `${given} ${family}`
  }
}

export function setUpReferForm (data, key, afterSave) {
  const form = document.querySelector('[data-form="refer"]')
  const sites = data.choices.sites || []
  const select = form.querySelector('#site_id')
  for (const s of sites) select.append(h('option', { value: s.id }, s.label))
  form.hidden = false
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const { errors, body, name } = referFormErrors(form, sites)
    showErrors(form, errors)
    if (errors.length) return
    body.recorded_offline_at = new Date().toISOString()
    // The hours-to-first-contact clock starts at the referral's time: on the day it was recorded, that is the
    // time the worker wrote it down, not the time it reaches Waypoint.
    if (body.referred_on === todayIso()) {
      const now = new Date()
      body.referred_at = `${body.referred_on}T${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}:00`
    }
    const summary = `Referral for ${name}`
    await store.addToOutbox(key, 'referral', { body, summary, copied_at: data.copied_at })
    setFlashForNextPage(`${summary}. It will be sent to Waypoint when you have a connection.`)
    await afterSave()
    window.location.href = 'outbox'
  })
}

// --- Outbox -------------------------------------------------------------------------------------------------

const STATES = {
  waiting: ['Waiting', 'blue'], sending: ['Sending', 'light-blue'], sent: ['Sent', 'green'], held: ['Held: needs you', 'red']
}

export async function describe (key, item) {
  const [label] = STATES[item.state] || [item.state]
  let payload = null
  if (key) { try { payload = await store.unseal(key, item.sealed) } catch (e) { payload = null } }
  return {
    item,
    stateLabel: label,
    summary: payload ? payload.summary : (item.kind === 'contact' ? 'A contact (locked)' : 'A referral (locked)'),
    caseId: payload && payload.case ? payload.case.id : null,
    held: key && item.held ? await store.unseal(key, item.held).catch(() => null) : null
  }
}

export async function renderOutbox (key, actions) {
  const items = await Promise.all((await store.outboxItems()).map((i) => describe(key, i)))
  const waiting = items.filter((d) => d.item.state === 'waiting' || d.item.state === 'sending').length
  const held = items.filter((d) => d.item.state === 'held')
  const box = content()
  const rows = items.map((d) => h('tr', { class: 'govuk-table__row', 'data-item': d.item.key },
    h('td', { class: 'govuk-table__cell' }, d.summary),
    h('td', { class: 'govuk-table__cell' }, ukDateTime(d.item.saved_at)),
    h('td', { class: 'govuk-table__cell' }, statusTag(...(STATES[d.item.state] || [d.item.state]))),
    h('td', { class: 'govuk-table__cell' }, d.item.sent_at ? ukDateTime(d.item.sent_at) : 'Not yet')))
  const heldBlocks = held.map((d) => h('div', { class: 'govuk-inset-text wp-held', 'data-held': d.item.key },
    h('h3', { class: 'govuk-heading-s' }, d.summary),
    d.held
      ? h('div', {},
        h('p', { class: 'govuk-body' }, `Waypoint did not save it: ${d.held.message}`),
        d.held.changes.length ? h('p', { class: 'govuk-body' }, 'What changed since you copied the case:') : null,
        d.held.changes.length ? h('ul', { class: 'govuk-list govuk-list--bullet' }, d.held.changes.map((t) => h('li', {}, t))) : null,
        d.held.candidates.length ? h('p', { class: 'govuk-body' }, 'Waypoint found people who may be the same person: ' + d.held.candidates.map((p) => `${p.given_name} ${p.family_name}${p.date_of_birth ? ' (born ' + ukDate(p.date_of_birth) + ')' : ''}`).join('; ') + '. Check them in Waypoint. If this is someone different, record them anyway.') : null,
        h('p', { class: 'govuk-body' }, 'It stays here until you decide. Nothing was overwritten.'),
        h('div', { class: 'govuk-button-group' },
          d.held.candidates.length
            ? h('button', { type: 'button', class: 'govuk-button', onclick: () => actions.recordAnyway(d.item.key) }, 'Record them anyway')
            : h('button', { type: 'button', class: 'govuk-button govuk-button--secondary', onclick: () => actions.retry(d.item.key) }, 'Try again'),
          h('button', { type: 'button', class: 'govuk-button govuk-button--warning', onclick: () => actions.discard(d.item.key, d.summary) }, 'Discard it')))
      : h('p', { class: 'govuk-body' }, 'Sign in to see why it was held.')))
  fill(box,
    h('p', { class: 'govuk-body-l', 'data-waiting-summary': true }, waiting ? `${waiting} waiting to be sent` : 'Nothing waiting to be sent'),
    key && waiting && navigator.onLine ? h('button', { type: 'button', class: 'govuk-button', onclick: actions.sendNow }, 'Send now') : null,
    held.length ? h('h2', { class: 'govuk-heading-m' }, `Held (${held.length})`) : null,
    ...heldBlocks,
    items.length
      ? h('table', { class: 'govuk-table wp-offline-table' },
        h('caption', { class: 'govuk-table__caption govuk-table__caption--m' }, 'Everything saved on this phone'),
        h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
          ...['What', 'Saved on this phone', 'Status', 'Sent to Waypoint'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t)))),
        h('tbody', { class: 'govuk-table__body' }, rows))
      : null)
}

export { noCopy }
