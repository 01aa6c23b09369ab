package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// IsURL reports whether a command-line argument names a live endpoint
// rather than a file: "http://…", "https://…", "host:port" ("localhost:6060",
// "10.0.0.5:8080", "[::1]:6060", ":6060") or "host:port/path".
//
// Any "scheme://" counts, not only http and https, so that Normalize can
// say "unsupported scheme" instead of the caller reporting a missing file.
// A path that exists as a file is the caller's concern: it checks files
// first.
func IsURL(arg string) bool {
	if scheme, _, ok := strings.Cut(arg, "://"); ok {
		return isScheme(scheme)
	}
	_, ok := splitHostPort(arg)
	return ok
}

// Normalize turns a user argument into the URL to GET, following the
// conventions of net/http/pprof:
//
//	localhost:6060                          → http://localhost:6060/debug/pprof/goroutine?debug=2
//	http://h:8080, http://h:8080/           → http://h:8080/debug/pprof/goroutine?debug=2
//	http://h:8080/debug/pprof, …/pprof/     → http://h:8080/debug/pprof/goroutine?debug=2
//	http://h/debug/pprof/goroutine          → http://h/debug/pprof/goroutine?debug=2
//	http://h/debug/pprof/goroutine?debug=1  → unchanged
//	http://h/debug/pprof/goroutineleak      → unchanged, as is any other explicit path
//
// debug=2 is the default because without a debug parameter the goroutine
// profile is a gzipped protobuf that loses each goroutine's state and wait
// time. The pprof index may sit under a prefix (a service behind a reverse
// proxy), so "/svc/debug/pprof" becomes "/svc/debug/pprof/goroutine".
// A user:password in the URL is kept, since it is how the request
// authenticates; errors never show the password.
func Normalize(arg string) (string, error) {
	raw := arg
	if !strings.Contains(arg, "://") {
		hostport, ok := splitHostPort(arg)
		if !ok {
			return "", fmt.Errorf("%q is neither a URL nor host:port", redactString(arg))
		}
		// A zone ("[fe80::1%eth0]:6060") must be escaped to survive url.Parse.
		if i := strings.IndexByte(hostport, '%'); i >= 0 && !strings.HasPrefix(hostport[i:], "%25") {
			raw = hostport[:i] + "%25" + arg[i+1:]
		}
		raw = "http://" + raw
	}
	u, err := parseHTTP(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", redactString(arg), err)
	}
	if u.Hostname() == "" {
		// ":6060" is how http.ListenAndServe spells every local address.
		u.Host = "localhost" + u.Host
	}
	u.Fragment, u.RawFragment = "", ""

	switch p := strings.TrimSuffix(u.Path, "/"); {
	case p == "":
		u.Path, u.RawPath = "/debug/pprof/goroutine", ""
	case strings.HasSuffix(p, "/debug/pprof"):
		u.Path, u.RawPath = p+"/goroutine", ""
	}
	if path.Base(u.Path) == "goroutine" && !u.Query().Has("debug") {
		// Appended rather than re-encoded so that the user's other
		// parameters keep their order and spelling.
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "debug=2"
	}
	return u.String(), nil
}

// parseHTTP parses an absolute http or https URL. Its errors do not repeat
// the URL, which may hold a password.
func parseHTTP(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return nil, fmt.Errorf("invalid URL: %v", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, errors.New("invalid URL: missing http:// or https://")
	default:
		return nil, fmt.Errorf("unsupported scheme %q (want http or https)", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, errors.New("invalid URL: missing host")
	}
	return u, nil
}

// splitHostPort returns the host:port that starts arg when arg is
// "host:port", "host:port/path" or "host:port?query":
//
//	"localhost:6060/debug/pprof" → "localhost:6060", true
//	"[::1]:6060"                 → "[::1]:6060", true
//	"C:\dumps\a.txt"             → "", false (the port is not a number)
//	"::1:6060"                   → "", false (IPv6 needs brackets)
func splitHostPort(arg string) (string, bool) {
	hostport := arg
	if i := strings.IndexAny(arg, "/?"); i >= 0 {
		hostport = arg[:i]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || !isPort(port) {
		return "", false
	}
	switch {
	case host == "":
		return hostport, true
	case strings.HasPrefix(hostport, "["):
		_, err := netip.ParseAddr(host)
		return hostport, err == nil && strings.Contains(host, ":")
	default:
		return hostport, isHostname(host)
	}
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n <= 65535
}

// isHostname accepts DNS names and IPv4 addresses, which share an alphabet.
func isHostname(s string) bool {
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return s != "" && s[0] != '-' && s[0] != '.'
}

// isScheme follows RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// redactString hides the password of a URL that may not parse, for
// messages about it:
//
//	"http://u:pw@h:bad/" → "http://u:xxxxx@h:bad/"
func redactString(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// Redact hides the password of a URL for display: callers name the
// source of a snapshot with it.
func Redact(u string) string { return redactString(u) }
