// Loaded as a module, so it only runs where GOV.UK Frontend is supported (no inline scripts: CSP).
import { initAll } from '../govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// Buttons that confirm before a destructive action: <button data-confirm="Are you sure?">
document.addEventListener('click', (event) => {
  const target = event.target.closest('[data-confirm]')
  if (target && !window.confirm(target.getAttribute('data-confirm'))) {
    event.preventDefault()
  }
})
