// Waypoint offline: the service worker (Workbox, served from this site: no CDN).
// It keeps the page shells, styles and scripts of the offline app, never any personal data: the pages get
// that from the encrypted store, and the JSON they fetch is never cached.
importScripts('{{ workbox }}workbox-sw.js')
workbox.setConfig({ modulePathPrefix: '{{ workbox }}', debug: false })
workbox.core.setCacheNameDetails({ prefix: 'waypoint-offline' })
workbox.core.clientsClaim()
self.skipWaiting()
workbox.precaching.cleanupOutdatedCaches()
// The case and contact pages take ?id=…; they are the same shell for every case.
workbox.precaching.precacheAndRoute({{ precache }}, { ignoreURLParametersMatching: [/.*/], cleanURLs: false })
