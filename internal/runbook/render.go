package runbook

import (
	"bytes"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown is the CommonMark converter RenderHTML uses, with GitHub's
// tables, strikethrough and bare-URL links. goldmark's parser and
// renderer initialise once and are safe for concurrent use.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeLinks{}, 100))),
		// A lower number than html's (1000): these replace its functions for raw HTML.
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(escapedHTML{}, 10))),
	)
})

// RenderHTML converts runbook Markdown (CommonMark with GitHub tables,
// strikethrough and bare-URL links) to HTML that is safe to put in the
// console's page:
//
//   - raw HTML, inline or in blocks, is shown as text (escaped), never
//     passed through;
//   - links keep only http, https and relative destinations (paths,
//     "#fragments", "?queries"); any other link (javascript:, data:,
//     mailto:, …) becomes its plain text;
//   - images become links to the image (the console loads nothing a
//     runbook names), under the same rule;
//   - no attributes can be set from the Markdown.
//
// The output is a fragment (no <html> or <body>).
func RenderHTML(md []byte) []byte {
	var buf bytes.Buffer
	if err := markdown().Convert(md, &buf); err != nil {
		// Rendering into a bytes.Buffer does not fail; never return half.
		return nil
	}
	return buf.Bytes()
}

// SafeURL reports whether a link destination may be rendered: an http or
// https URL, or a relative one (no scheme). Control characters and
// whitespace, which browsers strip to find a scheme, make it unsafe.
func SafeURL(dest string) bool {
	for _, r := range dest {
		if r <= 0x20 || r == 0x7f {
			return false
		}
	}
	i := strings.IndexAny(dest, ":/?#")
	if i < 0 || dest[i] != ':' {
		return true // no scheme: relative
	}
	switch strings.ToLower(dest[:i]) {
	case "http", "https":
		return true
	}
	return false
}

// safeLinks rewrites the document before rendering: unsafe links become
// their text, images become links.
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var nodes []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n.Kind() {
			case ast.KindLink, ast.KindImage, ast.KindAutoLink:
				nodes = append(nodes, n)
			}
		}
		return ast.WalkContinue, nil
	})
	// Innermost first, so a node is rewritten before its parent moves it.
	for i := len(nodes) - 1; i >= 0; i-- {
		switch n := nodes[i].(type) {
		case *ast.Link:
			if !safeDest(n.Destination, true) {
				unwrap(n)
			}
		case *ast.Image:
			if !safeDest(n.Destination, true) || inLink(n) {
				unwrap(n)
				continue
			}
			l := ast.NewLink()
			l.Destination, l.Title = n.Destination, n.Title
			for c := n.FirstChild(); c != nil; {
				next := c.NextSibling()
				l.AppendChild(l, c)
				c = next
			}
			n.Parent().ReplaceChild(n.Parent(), n, l)
		case *ast.AutoLink:
			// E-mail addresses would be mailto: links.
			if n.AutoLinkType != ast.AutoLinkURL || !safeDest(n.URL(source), false) {
				n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.Label(source)))
			}
		}
	}
}

// safeDest checks a destination as written and as the renderer will
// write it (character references resolved: "javascript&#58;…").
func safeDest(dest []byte, resolveRefs bool) bool {
	return SafeURL(string(dest)) && SafeURL(string(util.URLEscape(dest, resolveRefs)))
}

// inLink reports whether n is inside a link (links do not nest).
func inLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink {
			return true
		}
	}
	return false
}

// unwrap replaces n by its children.
func unwrap(n ast.Node) {
	p := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		p.InsertBefore(p, n, c)
		c = next
	}
	p.RemoveChild(p, n)
}

// escapedHTML renders raw HTML as escaped text.
type escapedHTML struct{}

func (escapedHTML) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindRawHTML, renderRawHTML)
	r.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			s := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(s.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var b []byte
	lines := n.Lines()
	for i := range lines.Len() {
		s := lines.At(i)
		b = append(b, s.Value(source)...)
	}
	if n.HasClosure() {
		b = append(b, n.ClosureLine.Value(source)...)
	}
	_, _ = w.WriteString("<p>")
	_, _ = w.Write(util.EscapeHTML(bytes.TrimRight(b, "\n")))
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

// plainText is the text under n: its text, strings and code spans.
func plainText(n ast.Node, source []byte) string {
	var sb strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			sb.Write(t.Segment.Value(source))
			if t.SoftLineBreak() {
				sb.WriteByte(' ')
			}
		case *ast.String:
			sb.Write(t.Value)
		case *ast.RawHTML:
			for i := range t.Segments.Len() {
				s := t.Segments.At(i)
				sb.Write(s.Value(source))
			}
		}
		return ast.WalkContinue, nil
	})
	return sb.String()
}
