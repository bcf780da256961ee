"""The ground floor every layer above shares: job records, typed requests, and what a provider offers.

The ledger backends and the providers both import this package, never each other."""
