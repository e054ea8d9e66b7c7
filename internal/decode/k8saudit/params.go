package k8saudit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Format options (decode.Options.Params).
const (
	ParamAccount = "account" // the AWS account ID: 12 digits
	ParamRegion  = "region"  // the AWS Region: us-east-1, …
	ParamCluster = "cluster" // the EKS cluster's name
)

// CheckParams implements decode.ParamChecker. The options are "account"
// (an AWS account ID, 12 digits), "region" (an AWS Region such as
// us-east-1) and "cluster" (an EKS cluster name: up to 100 letters, digits,
// hyphens and underscores, starting with a letter or digit). All are
// optional. Every problem is reported.
func (d *Decoder) CheckParams(params map[string]string) error {
	var errs []error
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := params[k]
		var err error
		switch k {
		case ParamAccount:
			err = checkAccount(v)
		case ParamRegion:
			err = checkRegion(v)
		case ParamCluster:
			err = checkCluster(v)
		default:
			err = fmt.Errorf("unknown option %q: the %s format takes %q, %q and %q", k, Format, ParamAccount, ParamRegion, ParamCluster)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setParams reads the format options for one stream. What is wrong with
// them quarantines every record (CheckParams catches it first).
func (d *Decoder) setParams(params map[string]string) {
	account, region, cluster := params[ParamAccount], params[ParamRegion], params[ParamCluster]
	d.paramsErr = nil
	if len(params) > 0 {
		if err := d.CheckParams(params); err != nil {
			d.paramsErr = fmt.Errorf("format_options: %w", err)
		}
	}
	d.params.set(account, region, cluster)
}

func checkAccount(v string) error {
	if len(v) != 12 || strings.Trim(v, "0123456789") != "" {
		return fmt.Errorf("option %s: %q is not an AWS account ID (12 digits)", ParamAccount, v)
	}
	return nil
}

// checkRegion accepts Region names: lowercase words and a number joined by
// hyphens (us-east-1, us-gov-west-1, cn-north-1, eu-central-2).
func checkRegion(v string) error {
	parts := strings.Split(v, "-")
	ok := len(v) <= 32 && len(parts) >= 3
	for i, p := range parts {
		set := "abcdefghijklmnopqrstuvwxyz"
		if i == len(parts)-1 {
			set = "0123456789"
		}
		ok = ok && p != "" && strings.Trim(p, set) == ""
	}
	if !ok {
		return fmt.Errorf("option %s: %q is not an AWS Region (such as us-east-1)", ParamRegion, v)
	}
	return nil
}

func checkCluster(v string) error {
	ok := v != "" && len(v) <= 100
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_')
	}
	if !ok {
		return fmt.Errorf("option %s: %q is not an EKS cluster name (letters, digits, - and _, starting with a letter or digit, at most 100)", ParamCluster, v)
	}
	return nil
}
