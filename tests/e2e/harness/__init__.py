"""Start and stop the real Dapr runtime (Scheduler, daprd), redis-server and apps for e2e tests."""
