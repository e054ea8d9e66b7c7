package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/store"
)

func testJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	jobs := []store.Job{
		{Kind: "remind", Key: "remind|a1|1", Payload: []byte(`{"n":1}`), RunAt: at(time.Minute)},
		{Kind: "archive", Key: "archive|a2", Payload: []byte(`{}`), RunAt: at(0)},
	}
	if err := s.EnqueueJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	// Scheduling again is idempotent.
	if err := s.EnqueueJobs(ctx, jobs[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimJobs(ctx, "w1", at(30*time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Key != "archive|a2" || got[0].Attempts != 1 {
		t.Fatalf("claim: %+v %v", got, err)
	}
	// Cancel the reminder before it is due.
	if ok, err := s.CancelJob(ctx, "remind|a1|1"); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if ok, _ := s.CancelJob(ctx, "remind|a1|1"); ok {
		t.Error("canceled twice")
	}
	if r, _ := s.ClaimJobs(ctx, "w1", at(time.Minute), time.Minute, 10); len(r) != 0 {
		t.Errorf("claimed a canceled or leased job: %+v", r)
	}
	// Retry, then done; a foreign owner cannot complete it.
	if err := s.CompleteJob(ctx, "w2", got[0].ID, store.JobDone, time.Time{}, ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("foreign completion: %v", err)
	}
	if err := s.CompleteJob(ctx, "w1", got[0].ID, store.JobPending, at(5*time.Minute), "slack down"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ClaimJobs(ctx, "w1", at(6*time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "slack down" {
		t.Fatalf("retry claim: %+v", got)
	}
	if err := s.CompleteJob(ctx, "w1", got[0].ID, store.JobDone, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	done, _ := s.ListJobs(ctx, store.JobDone, 10)
	canceled, _ := s.ListJobs(ctx, store.JobCanceled, 10)
	if len(done) != 1 || len(canceled) != 1 {
		t.Errorf("done %v canceled %v", done, canceled)
	}
	// A crashed worker's lease expires and another takes the job.
	s.EnqueueJobs(ctx, []store.Job{{Kind: "x", Key: "x1", Payload: []byte(`{}`), RunAt: at(0)}})
	a, _ := s.ClaimJobs(ctx, "dead", at(10*time.Minute), time.Minute, 10)
	b, _ := s.ClaimJobs(ctx, "alive", at(12*time.Minute), time.Minute, 10)
	if len(a) != 1 || len(b) != 1 || b[0].Attempts != 2 {
		t.Errorf("takeover: %+v %+v", a, b)
	}
}

// Two workers claiming at once never run a job twice.
func testJobsTwoWorkers(t *testing.T, s store.Store) {
	ctx := context.Background()
	var jobs []store.Job
	for i := range 50 {
		jobs = append(jobs, store.Job{Kind: "k", Key: fmt.Sprint("j", i), Payload: []byte(`{}`), RunAt: at(0)})
	}
	if err := s.EnqueueJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ran := map[int64]string{}
	var wg sync.WaitGroup
	for _, w := range []string{"w1", "w2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, err := s.ClaimJobs(ctx, w, at(time.Second), time.Hour, 4)
				if err != nil {
					t.Error(err)
					return
				}
				for _, j := range got {
					mu.Lock()
					if prev, dup := ran[j.ID]; dup {
						t.Errorf("job %d ran by %s and %s", j.ID, prev, w)
					}
					ran[j.ID] = w
					mu.Unlock()
					if err := s.CompleteJob(ctx, w, j.ID, store.JobDone, time.Time{}, ""); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(ran) != 50 {
		t.Errorf("%d of 50 jobs ran", len(ran))
	}
}
