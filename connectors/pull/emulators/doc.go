// Package emulators groups httptest emulators of the providers' search and
// list APIs, one sub-package per provider, built on [emukit]. They follow
// the providers contract (providers.md): paths, auth, pagination, rate-limit headers, error
// bodies and async states. They serve synthetic people only.
package emulators
