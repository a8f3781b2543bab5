"""The LogiSense v8 backend: catalog format, client, wire models, mapping, backend.

`spec.SPEC` is the backend's one front door (catalogsync.backend_api.BackendSpec); the
client and the emulator load only when a target is opened or an emulator is built. This
package's own import builds nothing: importing its `login` module alone, as the login sent
before the configuration is validated does, costs nothing more.
"""
