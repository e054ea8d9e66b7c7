package intel

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Config{Lists: []ListConfig{
		{Name: "ok", Kind: KindThreat, Format: "TXT", Path: "a.txt"},                          // 0
		{Name: "ok", Kind: "Threat", Format: "otx", Path: "b.csv", Category: "C&C"},           // 1: duplicate name
		{Kind: KindThreat, Format: FormatTXT, Path: "c"},                                      // 2: no name
		{Name: "kind", Kind: "evil", Format: FormatTXT, Path: "d"},                            // 3
		{Name: "nokind", Format: FormatTXT, Path: "d"},                                        // 4
		{Name: "format", Kind: KindThreat, Format: "xml", Path: "e"},                          // 5
		{Name: "noformat", Kind: KindThreat, Path: "e"},                                       // 6
		{Name: "nopath", Kind: KindThreat, Format: FormatTXT},                                 // 7
		{Name: "cat", Kind: KindThreat, Format: FormatTXT, Path: "f", Category: "spam"},       // 8
		{Name: "trustedcat", Kind: KindTrusted, Format: FormatTXT, Path: "f", Category: "c2"}, // 9
		{Name: "torcat", Kind: KindTor, Format: FormatTor, Path: "f", Category: "c2"},         // 10
		{Name: "http", Kind: KindTrusted, Format: FormatTXT, URL: "http://example.com/t.txt"}, // 11
		{Name: "ftp", Kind: KindThreat, Format: FormatTXT, URL: "ftp://example.com/t.txt"},    // 12
		{Name: "rel", Kind: KindThreat, Format: FormatTXT, URL: "/t.txt"},                     // 13
		{Name: "refresh", Kind: KindThreat, Format: FormatTXT, Path: "g", Refresh: time.Hour}, // 14
		{Name: " spaced", Kind: KindThreat, Format: FormatTXT, Path: "g"},                     // 15
		{Name: "neg", Kind: KindThreat, Format: FormatTXT, URL: "https://x.example/l", Refresh: -time.Second},
		{Name: "trustedcustom", Kind: KindTrusted, Format: FormatTXT, Path: "h", Custom: true}, // 17
		{Name: "torhosts", Kind: KindTor, Format: "HOSTS", Path: "i"},                          // 18
		{Name: "several", Kind: "Trusted", Format: FormatTXT, Path: "j", Custom: true, Category: "dga"},
	}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"intel.lists[1] ok: duplicate name (also lists[0])",
		"intel.lists[2] (no name): name is missing",
		`intel.lists[3] kind: unknown kind "evil"`,
		"intel.lists[4] nokind: kind is missing",
		`intel.lists[5] format: unknown format "xml"`,
		"intel.lists[6] noformat: format is missing",
		"intel.lists[7] nopath: path is missing",
		`intel.lists[8] cat: unknown category "spam"`,
		"intel.lists[9] trustedcat: category is not used for trusted lists",
		"intel.lists[10] torcat: category of a tor list is always tor",
		"intel.lists[11] http: url \"http://example.com/t.txt\": a trusted list must be fetched over https",
		"intel.lists[12] ftp: url \"ftp://example.com/t.txt\": scheme must be http or https",
		"intel.lists[13] rel: url \"/t.txt\" is not an absolute http(s) URL",
		"intel.lists[14] refresh: refresh is only used with url",
		`intel.lists[15]  spaced: name " spaced" has leading or trailing spaces`,
		"intel.lists[16] neg: refresh must not be negative",
		"intel.lists[17] trustedcustom: custom is not used for trusted lists",
		"intel.lists[18] torhosts: a tor list holds addresses of Tor nodes, and format hosts holds only domain names",
		"intel.lists[19] several: custom is not used for trusted lists",
		"intel.lists[19] several: category is not used for trusted lists",
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range min(len(got), len(want)) {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := New(cfg, Options{}); err == nil {
		t.Error("New accepted an invalid configuration")
	}
}

func TestValidateAcceptsGoodConfig(t *testing.T) {
	cfg := Config{Lists: []ListConfig{
		{Name: "gd", Kind: KindThreat, Format: "TXT", Path: "a.txt", Category: "cryptomining"},
		{Name: "stix", Kind: KindThreat, Format: "STIX", Path: "b.json"},
		{Name: "otx", Kind: KindThreat, Format: "OTX_CSV", Path: "c.csv"},
		{Name: "av", Kind: KindThreat, Format: "ALIEN_VAULT", Path: "d"},
		{Name: "pp", Kind: KindThreat, Format: "PROOF_POINT", Path: "e"},
		{Name: "fe", Kind: KindThreat, Format: "FIRE_EYE", Path: "f"},
		{Name: "tor", Kind: KindTor, Format: "tor-exits", URL: "https://check.torproject.org/torbulkexitlist", Category: "tor"},
		{Name: "trusted", Kind: KindTrusted, Format: "txt", URL: "https://example.com/t.txt", Path: "t.txt", Refresh: time.Minute},
		// Custom threat and tor lists, tor lists in address formats, and
		// threat lists of every category are fine; so are hosts files of
		// threats and of trusted names.
		{Name: "custom", Kind: KindThreat, Format: "txt", Path: "g", Custom: true, Category: "dga"},
		{Name: "customtor", Kind: KindTor, Format: "txt", Path: "h", Custom: true},
		{Name: "tormaltrail", Kind: KindTor, Format: "maltrail", Path: "i"},
		{Name: "torpp", Kind: KindTor, Format: "proof_point", Path: "j"},
		{Name: "hosts", Kind: KindThreat, Format: "hosts", Path: "k", Category: "cryptocurrency"},
		{Name: "trustedhosts", Kind: KindTrusted, Format: "hosts", Path: "l"},
		{Name: "abused", Kind: KindThreat, Format: "txt", Path: "m", Category: "Abused"},
		{Name: "suspicious", Kind: KindThreat, Format: "txt", Path: "n", Category: "suspicious"},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("empty config: %v", err)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
lists:
  - name: ipsum
    kind: threat
    format: ipsum
    path: /var/lib/picket/intel/ipsum.txt
    category: malicious
  - name: tor-exits
    kind: tor
    format: tor
    url: https://check.torproject.org/torbulkexitlist
    path: /var/lib/picket/intel/tor.txt
    refresh: 30m
  - name: office
    kind: trusted
    format: TXT
    path: trusted.txt
  - name: our-blocklist
    kind: threat
    format: txt
    path: blocklist.txt
    custom: true
`
	var cfg Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []ListConfig{
		{Name: "ipsum", Kind: KindThreat, Format: FormatIPsum, Path: "/var/lib/picket/intel/ipsum.txt", Category: "malicious"},
		{Name: "tor-exits", Kind: KindTor, Format: FormatTor, URL: "https://check.torproject.org/torbulkexitlist",
			Path: "/var/lib/picket/intel/tor.txt", Refresh: 30 * time.Minute},
		{Name: "office", Kind: KindTrusted, Format: "TXT", Path: "trusted.txt"},
		{Name: "our-blocklist", Kind: KindThreat, Format: FormatTXT, Path: "blocklist.txt", Custom: true},
	}
	if len(cfg.Lists) != len(want) {
		t.Fatalf("%d lists", len(cfg.Lists))
	}
	for i := range want {
		if cfg.Lists[i] != want[i] {
			t.Errorf("list %d = %+v, want %+v", i, cfg.Lists[i], want[i])
		}
	}
}

func TestParseNames(t *testing.T) {
	for in, want := range map[string]Format{
		"TXT": FormatTXT, "plaintext": FormatTXT, "STIX": FormatSTIX, "OTX_CSV": FormatOTXCSV, "otx-csv": FormatOTXCSV,
		"ALIEN_VAULT": FormatAlienVault, "alienvault": FormatAlienVault, "PROOF_POINT": FormatProofPoint,
		"FIRE_EYE": FormatFireEye, "fireeye": FormatFireEye, "IPSUM": FormatIPsum, "hosts": FormatHosts,
		"maltrail": FormatMaltrail, "tor": FormatTor, "tor_exits": FormatTor, "xml": "", "": "",
	} {
		got, ok := ParseFormat(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseFormat(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]Category{
		"": CategoryNone, "malicious": CategoryMalicious, "CryptoMining": CategoryCryptomining, "c2": CategoryC2,
		"C&C": CategoryC2, "dropzone": CategoryDropzone, "blackhole": CategoryBlackhole, "tor": CategoryTor,
		"phishing": CategoryPhishing, "cryptocurrency": CategoryCryptocurrency, "Abused": CategoryAbused,
		"suspicious": CategorySuspicious, "DGA": CategoryDGA,
		// Mining aliases stay mining; "cryptocurrency" (above) is no longer one.
		"mining": CategoryCryptomining, "crypto_mining": CategoryCryptomining, "crypto-mining": CategoryCryptomining,
	} {
		if got, ok := ParseCategory(in); got != want || !ok {
			t.Errorf("ParseCategory(%q) = %v %v, want %v", in, got, ok, want)
		}
		if want != CategoryNone {
			if got, _ := ParseCategory(want.String()); got != want {
				t.Errorf("%v does not round-trip", want)
			}
		}
	}
	if _, ok := ParseCategory("spam"); ok {
		t.Error("ParseCategory accepted spam")
	}
	if k, ok := ParseKind("Trusted"); !ok || k != KindTrusted {
		t.Errorf("ParseKind(Trusted) = %v %v", k, ok)
	}
	if b, _ := CategoryC2.MarshalText(); string(b) != "c2" || Category(99).String() != "category(99)" {
		t.Errorf("category text: %s %s", b, Category(99))
	}
}

// TestCategoryValuesStable pins the numeric values: categories are stored
// in every entry's provenance and compared by detectors, so new ones are
// appended.
func TestCategoryValuesStable(t *testing.T) {
	want := []struct {
		c    Category
		n    uint8
		name string
	}{
		{CategoryNone, 0, ""}, {CategoryMalicious, 1, "malicious"}, {CategoryCryptomining, 2, "cryptomining"},
		{CategoryC2, 3, "c2"}, {CategoryDropzone, 4, "dropzone"}, {CategoryBlackhole, 5, "blackhole"},
		{CategoryTor, 6, "tor"}, {CategoryPhishing, 7, "phishing"}, {CategoryCryptocurrency, 8, "cryptocurrency"},
		{CategoryAbused, 9, "abused"}, {CategorySuspicious, 10, "suspicious"}, {CategoryDGA, 11, "dga"},
	}
	if len(want) != len(categoryNames) {
		t.Fatalf("%d categories, the test knows %d", len(categoryNames), len(want))
	}
	for _, w := range want {
		if uint8(w.c) != w.n || w.c.String() != w.name {
			t.Errorf("category %d %q, want %d %q", uint8(w.c), w.c, w.n, w.name)
		}
	}
}

func TestUnknownCategoryListsEveryCategory(t *testing.T) {
	err := Config{Lists: []ListConfig{{Name: "x", Kind: KindThreat, Format: FormatTXT, Path: "x", Category: "spam"}}}.Validate()
	want := "(malicious, cryptomining, c2, dropzone, blackhole, tor, phishing, cryptocurrency, abused, suspicious, dga)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to list %s", err, want)
	}
}
