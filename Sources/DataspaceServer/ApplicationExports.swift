// The application services are part of what this module's users (the CLI, tests) work with.
@_exported import DataspaceApplication
