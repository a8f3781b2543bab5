"""The LogiSense v8 backend: catalog format, client, wire models, mapping, backend."""
