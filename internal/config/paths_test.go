package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// paths is what path resolution touches in a config.
type paths struct {
	DataDir string
	SQLite  string
	Sources []string
}

func pathsOf(c *Config) paths {
	p := paths{DataDir: c.DataDir, SQLite: c.Store.SQLite.Path}
	for _, s := range c.Sources {
		p.Sources = append(p.Sources, s.Path)
	}
	return p
}

func (p paths) equal(q paths) bool {
	return p.DataDir == q.DataDir && p.SQLite == q.SQLite && slices.Equal(p.Sources, q.Sources)
}

func TestLoadResolvesRelativePaths(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "picket") // the config file's directory
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "elsewhere") // an absolute path in the file
	in := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }

	tests := []struct {
		name    string
		yaml    string
		want    paths // from Load
		parsed  paths // from Parse: as written, defaults included
		problem bool  // the file has a decoding problem (resolved all the same)
	}{
		{
			name:   "defaults next to the file",
			yaml:   "log: {level: info}\n",
			want:   paths{DataDir: in("picket-data"), SQLite: in("picket-data", "picket.db")},
			parsed: paths{DataDir: "picket-data", SQLite: filepath.Join("picket-data", "picket.db")},
		},
		{
			name:   "empty file",
			yaml:   "",
			want:   paths{DataDir: in("picket-data"), SQLite: in("picket-data", "picket.db")},
			parsed: paths{DataDir: "picket-data", SQLite: filepath.Join("picket-data", "picket.db")},
		},
		{
			name:   "relative data_dir, database in it",
			yaml:   "data_dir: state\n",
			want:   paths{DataDir: in("state"), SQLite: in("state", "picket.db")},
			parsed: paths{DataDir: "state", SQLite: filepath.Join("state", "picket.db")},
		},
		{
			name:   "dot segments are cleaned",
			yaml:   "data_dir: ./state/../var/\n",
			want:   paths{DataDir: in("var"), SQLite: in("var", "picket.db")},
			parsed: paths{DataDir: "./state/../var/", SQLite: filepath.Join("var", "picket.db")},
		},
		{
			name:   "absolute data_dir untouched",
			yaml:   "data_dir: " + abs + "\n",
			want:   paths{DataDir: abs, SQLite: filepath.Join(abs, "picket.db")},
			parsed: paths{DataDir: abs, SQLite: filepath.Join(abs, "picket.db")},
		},
		{
			name:   "relative sqlite path is relative to the file, not data_dir",
			yaml:   "data_dir: " + abs + "\nstore: {sqlite: {path: db/p.db}}\n",
			want:   paths{DataDir: abs, SQLite: in("db", "p.db")},
			parsed: paths{DataDir: abs, SQLite: "db/p.db"},
		},
		{
			name:   "absolute sqlite path untouched",
			yaml:   "store: {sqlite: {path: " + filepath.Join(abs, "x.db") + "}}\n",
			want:   paths{DataDir: in("picket-data"), SQLite: filepath.Join(abs, "x.db")},
			parsed: paths{DataDir: "picket-data", SQLite: filepath.Join(abs, "x.db")},
		},
		{
			name: "sources",
			yaml: "data_dir: " + abs + "\nsources:\n" +
				"  - {name: a, type: directory, path: logs}\n" +
				"  - {name: b, type: directory, path: .}\n" +
				"  - {name: c, type: file, path: ../../var/log/trail.json}\n" +
				"  - {name: d, type: file, path: " + filepath.Join(abs, "t.json") + "}\n" +
				"  - {name: e, type: stdin}\n",
			want: paths{DataDir: abs, SQLite: filepath.Join(abs, "picket.db"),
				Sources: []string{in("logs"), dir, filepath.Join(root, "var", "log", "trail.json"), filepath.Join(abs, "t.json"), ""}},
			parsed: paths{DataDir: abs, SQLite: filepath.Join(abs, "picket.db"),
				Sources: []string{"logs", ".", "../../var/log/trail.json", filepath.Join(abs, "t.json"), ""}},
		},
		{
			name:    "resolved in the partial config of a file with problems",
			yaml:    "data_dir: state\ncolour: blue\nsources: [{name: a, type: directory, path: logs}]\n",
			want:    paths{DataDir: in("state"), SQLite: in("state", "picket.db"), Sources: []string{in("logs")}},
			parsed:  paths{DataDir: "state", SQLite: filepath.Join("state", "picket.db"), Sources: []string{"logs"}},
			problem: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "picket.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			// The working directory is not the config's, and the file is
			// named relative to it, as in "picket run -c etc/picket/picket.yaml".
			t.Chdir(root)
			c, err := Load(filepath.Join("etc", "picket", "picket.yaml"))
			var ps Problems
			if tt.problem != errors.As(err, &ps) || !tt.problem && err != nil || c == nil {
				t.Fatalf("Load: %v (problem expected: %v)", err, tt.problem)
			}
			if got := pathsOf(c); !got.equal(tt.want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, tt.want)
			}

			c, err = Parse([]byte(tt.yaml))
			if tt.problem != (err != nil) || c == nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := pathsOf(c); !got.equal(tt.parsed) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.parsed)
			}
		})
	}
}

// Validate checks the resolved paths: a source next to the config file is
// found wherever the process runs.
func TestSourcePathNextToConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "trails"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "picket.yaml")
	text := "sources: [{name: a, type: directory, path: trails}]\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(Checks{Env: env(nil)}); err != nil {
		t.Errorf("Load from elsewhere: %v", err)
	}
	c, err = Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(Checks{Env: env(nil)}); err == nil {
		t.Error("Parse resolved the path against the config's directory, which it does not know")
	}
}

func TestDefaultPathsStayRelative(t *testing.T) {
	c := Default()
	if c.DataDir != DefaultDataDir || c.Store.SQLite.Path != filepath.Join(DefaultDataDir, "picket.db") {
		t.Errorf("Default() paths = %+v", pathsOf(c))
	}
}
