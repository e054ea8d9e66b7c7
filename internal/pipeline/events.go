package pipeline

import (
	"strings"

	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/store"
)

// StoredEvent maps an event to the row kept for investigation: the
// searchable fields of each kind of log in the same columns, and a copy of
// the record as read.
func StoredEvent(e *event.Event) store.StoredEvent {
	se := store.StoredEvent{
		Time: e.Time.UTC(), Account: strings.Clone(e.Account), Region: strings.Clone(e.Region), Kind: e.Kind.String(),
		Source: e.Origin.Source, EventID: strings.Clone(e.ID), Outcome: "success",
		Raw: append([]byte(nil), e.RawBytes...),
	}
	if e.Failed {
		se.Outcome = "failure"
	}
	switch e.Kind {
	case event.KindVPCFlow:
		n := &e.Net
		if n.SrcAddr.IsValid() {
			se.SrcIP = n.SrcAddr.String()
		}
		se.Action = n.Action
		if n.Action == "REJECT" {
			se.Outcome = "failure"
		}
		se.Resource = strings.Clone(n.InterfaceID)
		se.Actor = strings.Clone(n.InstanceID)
		se.Service = "vpcflow"
	case event.KindDNS:
		d := &e.DNS
		if d.SrcAddr.IsValid() {
			se.SrcIP = d.SrcAddr.String()
		}
		se.Action = strings.Clone(d.Query)
		if d.RCode != "" && d.RCode != "NOERROR" {
			se.Outcome = "failure"
		}
		se.Actor = strings.Clone(d.InstanceID)
		se.Resource = strings.Clone(d.VPCID)
		se.Service = "route53resolver"
	case event.KindFinding:
		if f := e.Finding; f != nil {
			se.Action = strings.Clone(f.Type)
			se.Actor = strings.Clone(f.Keys.Actor)
			se.Resource = strings.Clone(f.Keys.Resource)
			se.Service = strings.Clone(f.Service.ServiceName)
			if se.Account == "" {
				se.Account = strings.Clone(f.AccountID)
			}
			if se.Region == "" {
				se.Region = strings.Clone(f.Region)
			}
		}
	default: // CloudTrail and Kubernetes audit logs
		a := &e.Actor
		se.Actor = a.ARN
		if se.Actor == "" {
			se.Actor = a.UserName
		}
		if se.Actor == "" {
			se.Actor = a.PrincipalID
		}
		if se.Actor == "" {
			se.Actor = a.InvokedBy
		}
		se.Actor = strings.Clone(se.Actor)
		se.SrcIP = strings.Clone(e.SourceIP)
		se.Action = strings.Clone(e.Action)
		se.Service = strings.Clone(e.Service)
		if len(e.Resources) > 0 {
			se.Resource = strings.Clone(e.Resources[0].ARN)
		}
	}
	return se
}
