package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/pipeline"
	"github.com/picket-dev/picket/internal/receiver"
	"github.com/picket-dev/picket/internal/source"
)

// httpIngester stores pushed bodies: each request is one object through a
// pipeline, committed (findings, evidence, quarantine) before the receiver
// answers 200. Pipelines are pooled: decoders and detectors keep state and
// are not shared between concurrent requests.
type httpIngester struct {
	a       *App
	sources map[string]config.SourceConfig
	pool    sync.Pool
}

func (h *httpIngester) Ingest(ctx context.Context, req receiver.Request) (receiver.Result, error) {
	sc, ok := h.sources[req.Source]
	if !ok {
		return receiver.Result{}, fmt.Errorf("unknown source %q", req.Source)
	}
	p, _ := h.pool.Get().(*pipeline.Pipeline)
	if p == nil {
		p = h.a.newPipe()
	}
	defer h.pool.Put(p)
	key := "http:" + req.RequestID
	res, err := h.a.ingest(ctx, p, sc, source.BytesObject(key, req.Body, h.a.now()), nil)
	if err != nil {
		return receiver.Result{}, err
	}
	out := receiver.Result{Records: res.Records, Events: res.Events, Quarantined: res.Quarantined, Findings: int(res.Occurrences)}
	if res.Records > 0 && res.Records == res.Quarantined {
		// Nothing usable: the records are quarantined with this request's
		// origin; the sender learns its body was bad.
		return out, &receiver.BadInputError{Msg: fmt.Sprintf("no record could be decoded (%d quarantined)", res.Quarantined)}
	}
	return out, nil
}

// receiverFor builds the HTTP receiver for the config's http sources, or
// nil when there are none.
func receiverFor(a *App) (*receiver.Receiver, error) {
	var scs []receiver.SourceConfig
	ing := &httpIngester{a: a, sources: map[string]config.SourceConfig{}}
	for _, sc := range a.cfg.Sources {
		if sc.Type != "http" || sc.HTTP == nil {
			continue
		}
		ing.sources[sc.Name] = sc
		h := sc.HTTP
		scs = append(scs, receiver.SourceConfig{
			Name: sc.Name, Format: sc.Format, Firehose: h.Firehose, MaxBodyBytes: h.MaxBodyBytes, MaxDecodedBytes: h.MaxDecodedBytes,
			Auth: receiver.Auth{Tokens: envList(h.TokensEnv), HMACKeys: envList(h.HMACKeysEnv), Header: h.Header, MaxSkew: h.MaxSkew},
		})
	}
	if len(scs) == 0 {
		return nil, nil
	}
	return receiver.New(scs, ing, a.log, a.now)
}

func envList(name string) []string {
	if name == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(os.Getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
