package postgres_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// crashChildDB, when set, makes TestPostureAlertSurvivesACrashAfterCommit the child process: it saves a failing
// rule result in the database at that URL, says so on stdout and waits to be killed.
const crashChildDB = "OPEN_SSPM_TEST_CRASH_CHILD_DB"

var crashScope = rules.ConnectorScope("okta", "okta-1")

func crashResult() sspm.RuleResult {
	return sspm.RuleResult{RulesetKey: "cis.okta.idaas_stig.v2", RuleKey: "OKTA-APP-000650", Title: "OKTA-APP-000650",
		Severity: "high", Status: rules.StatusFail, Reason: rules.ReasonAssertFailed, Selected: 1,
		Affected: []sspm.RuleAffected{{ID: "pw1", Reason: rules.ReasonAssertFailed}}}
}

// A process that commits a posture finding and is killed before it delivers (or even hands over) the alert
// loses nothing: the alert committed with the finding, and a fresh deliverer sends it.
func TestPostureAlertSurvivesACrashAfterCommit(t *testing.T) {
	if url := os.Getenv(crashChildDB); url != "" {
		crashChild(t, url)
		return
	}
	ctx := context.Background()
	url := postgrestest.URL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	newConnector(t, db, "okta-1")
	seedRules(t, db, catalog(t))

	child := exec.Command(os.Args[0], "-test.run=^TestPostureAlertSurvivesACrashAfterCommit$", "-test.count=1")
	child.Env = append(os.Environ(), crashChildDB+"="+url, "TEST_DATABASE_URL="+url)
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	committed := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if s.Text() == "committed" {
				committed <- true
				return
			}
		}
		committed <- false
	}()
	select {
	case ok := <-committed:
		if !ok {
			_ = child.Wait()
			t.Fatal("the child process ended without committing")
		}
	case <-time.After(time.Minute):
		_ = child.Process.Kill()
		_ = child.Wait()
		t.Fatal("the child process did not commit within a minute")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended with %v, want killed", err)
	}

	rec := &recorder{name: "webhook"}
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationWebhook: rec}, alert.DeliverOptions{})
	rep, err := d.Deliver(ctx)
	if err != nil || rep.Delivered != 1 {
		t.Fatalf("deliver after the crash: %+v %v", rep, err)
	}
	f, err := db.FindingByKey(ctx, sspm.PostureDedupeKey(crashScope, crashResult().RulesetKey, crashResult().RuleKey))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d:opened:0:high", f.ID)
	if rec.got[want] != 1 || len(rec.got) != 1 {
		t.Fatalf("delivered %v, want the opening of finding %d", rec.got, f.ID)
	}
}

// crashChild is the process that is killed: it records a failing result with the alert router set, the way the
// evaluator does, and never delivers.
func crashChild(t *testing.T, url string) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	outbox := &alert.Outbox{Store: db, Routes: []alert.Route{{Destination: alert.DestinationWebhook}}}
	db.SetAlertRouter(outbox.Entries)
	fc, err := db.SaveRuleResults(ctx, crashScope, []sspm.RuleResult{crashResult()}, time.Now())
	if err != nil || len(fc.Transitions) != 1 {
		t.Fatalf("save results: %+v %v", fc, err)
	}
	fmt.Println("committed")
	time.Sleep(time.Hour) // killed here, between the commit and any delivery
}
