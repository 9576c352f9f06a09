// Package drill holds the fault drill: tests, run by `make test`, that break a running Open-SSPM the way
// production breaks it and check what is left afterwards. Each scenario drives the real lane runner, tailer,
// webhook endpoint, inbox lane and queues against the Okta simulator (internal/providersim/oktasim), or the
// GitHub one, and a real PostgreSQL, and ends with three checks: no row lost, nothing wrongly expired, and the
// run's record (the sync run, the tail cursor, the inbox row) saying what happened.
//
//   - TestDrillSyncKilled: a process killed with SIGKILL in the middle of a full sync; a new process resumes the
//     run once its lease expires (the run counts the lost lease) and the inventory equals an uninterrupted run's.
//   - TestDrillTailKilled: a process killed with SIGKILL in the middle of a tail step, before its commit, inside
//     its commit's transaction, and after it; no event is lost or stored twice and the cursor matches the events.
//   - TestDrillDatabaseRestarted: a private PostgreSQL server (internal/pgembed) stopped and started again in
//     the middle of a full sync; the run fails or is resumed, the next run completes, nothing is wrongly expired.
//   - TestDrillDeliveriesTwiceOutOfOrder: Okta event hook deliveries received twice and newest first, copies in
//     one batch; each event is stored once and the result equals in-order delivery.
//   - TestDrillGitHubDeliveriesTwiceOutOfOrder: the same with GitHub organization webhooks, redelivered with their
//     delivery ids (the GitHub simulator, internal/providersim/githubsim).
//   - TestDrillQueueRedelivery: inbox messages delivered again after their visibility timeout (the SQS fake and
//     the local PostgreSQL queue); the work is done once and the inbox records the second attempt.
//
// The killed processes are the test binary itself, started again with an environment variable naming the part
// to play (as internal/postgres's alert crash test does). Nothing sleeps: leases expire on a fake clock given to
// the store (postgres.WithClock), and only a child process's progress or a server's restart is waited on, with a
// bounded poll.
package drill
