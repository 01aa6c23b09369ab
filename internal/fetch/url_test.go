package fetch

import (
	"strings"
	"testing"
)

func TestIsURL(t *testing.T) {
	tests := []struct {
		arg  string
		want bool
	}{
		{"http://localhost:6060", true},
		{"https://example.com/debug/pprof/", true},
		{"HTTP://EXAMPLE.COM", true},
		{"ftp://example.com/x", true}, // so that Normalize can reject it by name
		{"localhost:6060", true},
		{"10.0.0.5:8080", true},
		{"[::1]:6060", true},
		{"[fe80::1%eth0]:6060", true},
		{":6060", true},
		{"localhost:6060/debug/pprof", true},
		{"svc.internal:6060/debug/pprof/goroutine?debug=1", true},
		{"my_host:1", true},
		{"alice:pw@host:6060", true},
		{"alice:p#w@host:6060", true}, // so that Normalize can say what to escape
		{"alice:p/w@host:6060/debug/pprof", true},
		{"alice@host:6060", true},
		// Normalize says where the brackets go.
		{"::1:6060", true},
		{"fe80::1%eth0:6060", true},
		{"2001:db8::1", true},

		{"", false},
		{"-", false},
		{"dump.txt", false},
		{"./dumps/before.txt", false},
		{"/tmp/after.txt", false},
		{`C:\dumps\a.txt`, false},
		{"C:/dumps/a.txt", false},
		{"localhost", false},
		{"localhost:", false},
		{"localhost:http", false},
		{"localhost:0", false},
		{"localhost:65536", false},
		{"[not-ip]:6060", false},
		{"[10.0.0.1]:6060", false},
		{"foo bar:80", false},
		{"-x:80", false},
		{"dir/host:80", false},
		{"://x", false},
	}
	for _, tt := range tests {
		if got := IsURL(tt.arg); got != tt.want {
			t.Errorf("IsURL(%q) = %v, want %v", tt.arg, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	const g = "/debug/pprof/goroutine?debug=2"
	tests := []struct {
		arg, want string
	}{
		{"localhost:6060", "http://localhost:6060" + g},
		{":6060", "http://localhost:6060" + g},
		{"10.0.0.5:8080", "http://10.0.0.5:8080" + g},
		{"[::1]:6060", "http://[::1]:6060" + g},
		{"[fe80::1%eth0]:6060", "http://[fe80::1%25eth0]:6060" + g},
		{"localhost:6060/debug/pprof/goroutine?debug=1", "http://localhost:6060/debug/pprof/goroutine?debug=1"},
		{"http://h:8080", "http://h:8080" + g},
		{"http://h:8080/", "http://h:8080" + g},
		{"http://:8080", "http://localhost:8080" + g},
		{"https://h", "https://h" + g},
		{"HTTPS://h/", "https://h" + g},
		{"http://[::1]:6060/", "http://[::1]:6060" + g},
		{"http://h:8080/debug/pprof", "http://h:8080" + g},
		{"http://h:8080/debug/pprof/", "http://h:8080" + g},
		{"http://h/svc/debug/pprof/", "http://h/svc" + g},
		{"http://h/debug/pprof/goroutine", "http://h" + g},
		{"http://h/debug/pprof/goroutine#frag", "http://h" + g},
		{"http://h/debug/pprof/goroutine?debug=1", "http://h/debug/pprof/goroutine?debug=1"},
		{"http://h/debug/pprof/goroutine?debug=0", "http://h/debug/pprof/goroutine?debug=0"},
		{"http://h/debug/pprof/goroutine?z=1&a=2", "http://h/debug/pprof/goroutine?z=1&a=2"},
		// A delta profile refuses a debug parameter.
		{"http://h/debug/pprof/goroutine?seconds=30", "http://h/debug/pprof/goroutine?seconds=30"},
		{"http://h/debug/pprof/goroutineleak?debug=2", "http://h/debug/pprof/goroutineleak?debug=2"},
		{"http://h/debug/pprof/goroutineleak", "http://h/debug/pprof/goroutineleak"},
		{"http://h/debug/pprof/profile?seconds=30", "http://h/debug/pprof/profile?seconds=30"},
		{"http://h/custom/dump", "http://h/custom/dump"},
		{"http://u:pw@h:1", "http://u:pw@h:1" + g}, // the request needs the password
		{"alice:pw@host:6060", "http://alice:pw@host:6060" + g},
		{"alice:p%23w@host:6060", "http://alice:p%23w@host:6060" + g},
		{"alice:p@w@host:6060", "http://alice:p%40w@host:6060" + g},
		{"u@[fe80::1%eth0]:6060", "http://u@[fe80::1%25eth0]:6060" + g},
		{"http://h/x?token=abc", "http://h/x?token=abc"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.arg)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v, want %q, nil", tt.arg, got, err, tt.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		arg, want string
	}{
		{"", `"" is neither a URL nor host:port`},
		{"garbage", `"garbage" is neither a URL nor host:port`},
		{"ftp://h/x", `ftp://h/x: unsupported scheme "ftp" (want http or https)`},
		{"file:///tmp/dump.txt", `file:///tmp/dump.txt: unsupported scheme "file" (want http or https)`},
		{"http://", "http://: invalid URL: missing host"},
		{"http:///debug/pprof", "http:///debug/pprof: invalid URL: missing host"},
		{"http://h:port/", `http://h:port/: invalid URL: invalid port ":port" after host`},
		{"http://[::1/", "http://[::1/: invalid URL: missing ']' in host"},
		{"http://u:secret@h:x/", `http://u:xxxxx@h:x/: invalid URL: invalid port ":x" after host`},
		{"u:secret@h:x", `"u:xxxxx@h:x" is neither a URL nor host:port`},
		// A password with an unescaped '#', '/' or '?' would send the
		// rest of it as a fragment or path, to a host named "u".
		{"u:sec#ret@h:6060", `u:xxxxx@h:6060: invalid URL: unescaped '#' before '@' (write it as %23 in a password, and an '@' in a path or query as %40)`},
		{"http://u:sec/ret@h:6060/", `http://u:xxxxx@h:6060/: invalid URL: unescaped '/' before '@' (write it as %2F in a password, and an '@' in a path or query as %40)`},
		{"https://u:sec?ret@h/", `https://u:xxxxx@h/: invalid URL: unescaped '?' before '@' (write it as %3F in a password, and an '@' in a path or query as %40)`},
		{"::1:6060", `::1:6060: an IPv6 address needs brackets: write [::1]:6060`},
		{"fe80::1%eth0:6060/debug/pprof", `fe80::1%eth0:6060/debug/pprof: an IPv6 address needs brackets: write [fe80::1%eth0]:6060/debug/pprof`},
		{"2001:db8::1", `2001:db8::1: an IPv6 address needs brackets: write [2001:db8::1]:PORT`},
		{"http://u:secret@::1:6060/", `http://u:xxxxx@::1:6060/: an IPv6 address needs brackets: write http://u:xxxxx@[::1]:6060/`},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.arg)
		if err == nil {
			t.Errorf("Normalize(%q) = %q, want error %q", tt.arg, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Normalize(%q) error = %q, want %q", tt.arg, err, tt.want)
		}
		if strings.Contains(err.Error(), "sec") {
			t.Errorf("Normalize(%q) error %q shows the password", tt.arg, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"http://h/x", "http://h/x"},
		{"http://u@h/x", "http://u@h/x"},
		{"http://u:pw@h/x", "http://u:xxxxx@h/x"},
		{"http://u:p@w@h:bad/x", "http://u:xxxxx@h:bad/x"},
		// An '@' after a '/' may end a password that holds '/': hidden
		// up to it, which hides more than the password when it was not.
		{"http://u:p/w@h/x", "http://u:xxxxx@h/x"},
		{"http://h:1/x@y", "http://h:xxxxx@y"},
		{"http://h/x@y", "http://h/x@y"},
		{"http://u:p#w@h:6060/", "http://u:xxxxx@h:6060/"},
		{"http://u:p?w@h:6060/", "http://u:xxxxx@h:6060/"},
		{"alice:pw@host:6060", "alice:xxxxx@host:6060"},
		{"alice:p#w@host:6060", "alice:xxxxx@host:6060"},
		{"localhost:6060", "localhost:6060"},
		// Query values but the profile's own.
		{"http://h/debug/pprof/goroutine?debug=2&token=s3cr3t", "http://h/debug/pprof/goroutine?debug=2&token=xxxxx"},
		{"http://h/profile?seconds=30&access_token=a&x", "http://h/profile?seconds=30&access_token=xxxxx&xxxxx"},
		{"http://h/g?%64ebug=1&t=&&debug", "http://h/g?%64ebug=1&t=&&debug"},
		{"http://h/g?debug=2#frag", "http://h/g?debug=2#xxxxx"},
		{"http://h/g?debug=2#", "http://h/g?debug=2#"},
		{"h:6060/g?key=v", "h:6060/g?key=xxxxx"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
