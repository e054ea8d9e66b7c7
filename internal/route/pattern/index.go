package pattern

// RequiredStrings returns the exact strings the field at path must equal
// for p to match — one of them, in every alternative — or nil when p can
// match without it (the field is unconstrained, or allows other values
// such as prefixes, numbers or absence). Routers use it to index many
// patterns by a field such as detail.accountId or detail.type, so an event
// is matched only against the patterns that can match it.
func (p *Pattern) RequiredStrings(path ...string) []string {
	var out []string
	for _, n := range p.rules {
		vals := n.required(path)
		if vals == nil {
			return nil
		}
		out = append(out, vals...)
	}
	return out
}

// RequiredPrefixes is RequiredStrings that also accepts case-sensitive
// "prefix" operators: every value the field may take starts with one of
// the returned strings (exact values count as their own prefix).
func (p *Pattern) RequiredPrefixes(path ...string) []string {
	var out []string
	for _, n := range p.rules {
		vals := n.requiredPrefixes(path)
		if vals == nil {
			return nil
		}
		out = append(out, vals...)
	}
	return out
}

func (n *node) requiredPrefixes(path []string) []string {
	if n == nil || len(path) == 0 {
		return nil
	}
	for i := range n.fields {
		f := &n.fields[i]
		if f.key != path[0] {
			continue
		}
		if len(path) > 1 {
			return f.child.requiredPrefixes(path[1:])
		}
		l := f.leaf
		if l == nil || f.child != nil || l.absent || l.any || l.null || l.yes || l.no || len(l.nums) > 0 || len(l.ips) > 0 {
			return nil
		}
		out := append([]string(nil), l.strs...)
		for _, o := range l.ops {
			if o.kind != opPrefix {
				return nil
			}
			out = append(out, o.s)
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

func (n *node) required(path []string) []string {
	if n == nil || len(path) == 0 {
		return nil
	}
	for i := range n.fields {
		f := &n.fields[i]
		if f.key != path[0] {
			continue
		}
		if len(path) > 1 {
			return f.child.required(path[1:])
		}
		l := f.leaf
		if l == nil || f.child != nil || l.absent || l.any || l.null || l.yes || l.no ||
			len(l.nums) > 0 || len(l.ops) > 0 || len(l.ips) > 0 || len(l.strs) == 0 {
			return nil
		}
		return append([]string(nil), l.strs...)
	}
	return nil
}
