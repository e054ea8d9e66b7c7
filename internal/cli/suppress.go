package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/route/suppress"
	"github.com/picket-dev/picket/internal/store"
)

func cmdSuppress(ctx context.Context, env Env, args []string) int {
	subs := map[string]func(context.Context, Env, []string) int{
		"list":    suppressList,
		"add":     func(ctx context.Context, env Env, a []string) int { return suppressAdd(ctx, env, a, false) },
		"preview": func(ctx context.Context, env Env, a []string) int { return suppressAdd(ctx, env, a, true) },
		"remove":  suppressRemove,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(env.Stderr, "Usage: picket suppress list|add|preview|remove -c picket.yaml ...")
		fmt.Fprintln(env.Stderr, `  add --owner O --reason R [--name N] [--expires 720h] TERM... (type=…, severity>=7, accountId!=…, resource.instanceDetails.instanceId~i-0abc*)`)
		fmt.Fprintln(env.Stderr, `  add --criteria '{"Criterion":{…}}' …  (GuardDuty's FindingCriteria JSON)`)
		return ExitError
	}
	return subs[args[0]](ctx, env, args[1:])
}

func openStoreFromConfig(ctx context.Context, env Env, cfgPath string) (store.Store, bool) {
	cfg, ok := loadConfig(env, cfgPath, app.Validate)
	if !ok {
		return nil, false
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "picket: %v\n", err)
		return nil, false
	}
	return st, true
}

func suppressList(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "suppress list", "-c picket.yaml [--audit]")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	audit := fs.Bool("audit", false, "show the change history instead")
	if _, err := parse(fs, args); err != nil {
		return flagErr(err)
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	defer w.Flush()
	if *audit {
		entries, err := st.SuppressionAudit(ctx, 1000)
		if err != nil {
			return fail(env, "%v", err)
		}
		fmt.Fprintln(w, "AT\tACTOR\tACTION\tRULE\tDETAIL")
		for _, a := range entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.At.Format(time.RFC3339), a.Actor, a.Action, a.RuleID, a.Detail)
		}
		return ExitOK
	}
	rules, err := st.SuppressionRules(ctx)
	if err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintln(w, "ID\tNAME\tOWNER\tEXPIRES\tREASON\tCRITERIA")
	now := time.Now()
	for _, r := range rules {
		exp := "never"
		if !r.Expires.IsZero() {
			exp = r.Expires.Format(time.RFC3339)
			if r.Expires.Before(now) {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Owner, exp, r.Reason, r.Criteria)
	}
	return ExitOK
}

// suppressAdd creates a rule (or, with preview, only says what it would
// mute): in both cases it counts the stored findings it would have muted.
func suppressAdd(ctx context.Context, env Env, args []string, preview bool) int {
	name := "suppress add"
	if preview {
		name = "suppress preview"
	}
	fs := newFlags(env, name, "-c picket.yaml --owner O --reason R [--name N] [--expires D] [--criteria JSON | TERM...]")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	owner := fs.String("owner", "", "who is accountable for the rule (required)")
	reason := fs.String("reason", "", "why these findings are muted (required)")
	ruleName := fs.String("name", "", "a short label")
	expires := fs.Duration("expires", 0, "expire the rule after this long (e.g. 720h); 0 never")
	criteria := fs.String("criteria", "", "GuardDuty FindingCriteria JSON instead of terms")
	actor := fs.String("actor", currentUser(), "who makes the change (audit)")
	terms, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	var c suppress.Criteria
	switch {
	case *criteria != "" && len(terms) > 0:
		return fail(env, "give --criteria or terms, not both")
	case *criteria != "":
		c, err = suppress.ParseCriteria([]byte(*criteria))
	default:
		c, err = suppress.ParseTerms(terms)
	}
	if err != nil {
		return fail(env, "criteria: %v", err)
	}
	now := time.Now().UTC()
	r := suppress.Rule{ID: suppress.NewID(), Name: *ruleName, Owner: *owner, Reason: *reason, Criteria: c, CreatedAt: now, CreatedBy: *actor}
	if *expires > 0 {
		r.Expires = now.Add(*expires)
	}
	if !preview {
		if err := r.Validate(now); err != nil {
			return fail(env, "%v", err)
		}
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	var all []finding.Finding
	for off := 0; ; off += 1000 {
		page, total, err := st.ListFindings(ctx, store.FindingQuery{Limit: 1000, Offset: off})
		if err != nil {
			return fail(env, "%v", err)
		}
		all = append(all, page...)
		if off+len(page) >= total || len(page) == 0 {
			break
		}
	}
	n, sample := suppress.Preview(c, all)
	fmt.Fprintf(env.Stdout, "would have muted %d of %d stored findings", n, len(all))
	if len(sample) > 0 {
		fmt.Fprintf(env.Stdout, " (e.g. %v)", sample)
	}
	fmt.Fprintln(env.Stdout)
	if preview {
		return ExitOK
	}
	crit, err := json.Marshal(c)
	if err != nil {
		return fail(env, "%v", err)
	}
	detail, _ := json.Marshal(r)
	rec := store.SuppressionRule{ID: r.ID, Name: r.Name, Owner: r.Owner, Reason: r.Reason, Criteria: crit, Expires: r.Expires, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
	if err := st.PutSuppressionRule(ctx, rec, store.AuditEntry{Action: "add", Actor: *actor, At: now, Detail: string(detail)}); err != nil {
		return fail(env, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "added suppression rule %s\n", r.ID)
	return ExitOK
}

func suppressRemove(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "suppress remove", "-c picket.yaml [--actor A] ID...")
	cfgPath := fs.String("c", "picket.yaml", "config file")
	actor := fs.String("actor", currentUser(), "who makes the change (audit)")
	ids, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(ids) == 0 {
		return fail(env, "give the IDs of the rules to remove (picket suppress list)")
	}
	st, ok := openStoreFromConfig(ctx, env, *cfgPath)
	if !ok {
		return ExitError
	}
	defer st.Close()
	for _, id := range ids {
		if err := st.DeleteSuppressionRule(ctx, id, store.AuditEntry{Action: "remove", Actor: *actor, At: time.Now().UTC()}); err != nil {
			return fail(env, "%v", err)
		}
		fmt.Fprintf(env.Stdout, "removed suppression rule %s\n", id)
	}
	return ExitOK
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if v := os.Getenv("USER"); v != "" {
		return v
	}
	return "unknown"
}
