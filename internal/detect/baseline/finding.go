package baseline

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/picket-dev/picket/internal/detect"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// finding builds the finding for an anomaly. It runs under the shard's
// lock (it reads the profile) and copies every string it keeps.
func (d *Detector) finding(e *event.Event, pr string, p *profile, an *anomaly, nk netKey, fam string) finding.Finding {
	var ft findingType
	if an.login {
		ft = findingType{typeConsoleLogin, sevConsoleLogin, false}
	} else {
		ft = classTypes[an.cls]
	}
	f := detect.APICallFinding(Name, ft.typ, ft.sev, e)
	f.Keys.Actor = strings.Clone(pr) // one finding per principal and type
	if ft.s3 {
		f.Resource.ResourceType = "S3Bucket"
		if b := bucketOf(e); b != "" {
			f.Resource.S3BucketDetails = []finding.S3BucketDetail{{Arn: "arn:" + finding.PartitionOf(e.Region) + ":s3:::" + b, Name: strings.Clone(b)}}
		}
	}

	unusual := map[string]any{}
	if an.unusualNet {
		unusual["network"] = nk.String()
		if nk.kind() == netASN {
			unusual["asn"] = nk.String()
			if ip, ok := parseIP(e.SourceIP); ok {
				unusual["network"] = prefixKey(ip).String()
			}
		}
	}
	if an.unusualUA {
		unusual["userAgent"] = strings.Clone(fam)
	}
	if an.volume {
		unusual["volume"] = int64(an.count)
		unusual["threshold"] = math.Round(an.thr*10) / 10
	}
	var tactics []string
	for c := Class(1); c <= numClasses; c++ {
		if p.learned&c.bit() != 0 {
			tactics = append(tactics, c.String())
		}
	}
	var nets, uas []string
	for _, n := range p.nets[:p.nNets] {
		if p.settled(n.first, n.last, n.flagged, d.settleH) {
			nets = append(nets, n.key.String())
		}
	}
	for i := range p.uas[:p.nUAs] {
		u := &p.uas[i]
		if p.settled(u.first, u.last, u.flagged, d.settleH) {
			uas = append(uas, u.String())
		}
	}
	profiled := map[string]any{
		"tactics":    tactics,
		"networks":   nets,
		"userAgents": uas,
		"firstSeen":  time.Unix(p.first, 0).UTC().Format(time.RFC3339),
		"events":     int64(p.events),
	}
	if p.netDiverse {
		profiled["networksDiverse"] = true
	}
	if p.uaDiverse {
		profiled["userAgentsDiverse"] = true
	}
	anoms := map[string]any{"unusual": unusual, "profiled": profiled}
	if an.login {
		profiled["consoleLogins"] = int64(p.logins)
	} else {
		anoms["anomalousAPIs"] = []string{strings.Clone(e.Service) + ":" + strings.Clone(e.Action)}
		anoms["tactic"] = an.cls.String()
		if an.novel {
			anoms["newTactic"] = true
		}
		if v := &p.vol[an.cls-1]; v.n > 0 {
			profiled["hourlyMean"] = math.Round(float64(v.mean)*10) / 10
			profiled["hourlyStdDev"] = math.Round(v.sd()*10) / 10
			profiled["activeHours"] = int64(v.n)
		}
	}
	f.Service.AdditionalInfo = map[string]any{"anomalies": anoms}
	f.Title, f.Description = describe(e, pr, an, nk, fam)
	return f
}

func describe(e *event.Event, pr string, an *anomaly, nk netKey, fam string) (title, desc string) {
	var why []string
	if an.unusualNet {
		why = append(why, "network "+nk.String())
	}
	if an.unusualUA {
		why = append(why, "user agent "+fam)
	}
	from := ""
	if len(why) > 0 {
		from = " from a " + strings.Join(why, " and a ") + " not in its baseline"
	}
	if an.login {
		return "Console sign-in from an unusual network or user agent",
			fmt.Sprintf("%s signed in to the AWS console%s (source %s).", pr, from, e.SourceIP)
	}
	tactic := an.cls.String()
	api := e.Service + ":" + e.Action
	switch {
	case an.novel && an.volume:
		title = fmt.Sprintf("Unusual %s activity by %s", tactic, shortName(pr))
		desc = fmt.Sprintf("%s called %s, a %s API it had not used before,%s, and made %d %s calls this hour (threshold %.0f).",
			pr, api, tactic, from, an.count, tactic, an.thr)
	case an.novel:
		title = fmt.Sprintf("Anomalous %s API call by %s", tactic, shortName(pr))
		desc = fmt.Sprintf("%s called %s, a %s API; it had not used %s APIs in its baseline, and the call came%s.",
			pr, api, tactic, tactic, from)
	default:
		title = fmt.Sprintf("Unusual volume of %s calls by %s", tactic, shortName(pr))
		desc = fmt.Sprintf("%s made %d %s calls in one hour (last: %s); its baseline threshold is %.0f.",
			pr, an.count, tactic, api, an.thr)
	}
	if e.Failed {
		desc += " The call failed with " + e.ErrorCode + "."
	}
	return strings.Clone(title), strings.Clone(desc)
}

func shortName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

// bucketOf names the S3 bucket of an S3 call: the resources array, or
// requestParameters.bucketName.
func bucketOf(e *event.Event) string {
	for _, r := range e.Resources {
		if r.Type == "AWS::S3::Bucket" {
			if i := strings.LastIndex(r.ARN, ":::"); i >= 0 {
				return r.ARN[i+3:]
			}
		}
	}
	return e.Str(pBucket)
}

var pBucket = event.ParsePath("requestParameters.bucketName")
