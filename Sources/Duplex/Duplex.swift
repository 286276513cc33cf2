// The client library that line-card processes and `duplexctl` link. It re-exports DuplexCore,
// whose types (StatusReport, Role, Duration, ...) appear in its API, so that `import Duplex`
// is enough. No Foundation: every process of the board links this.
@_exported public import DuplexCore
