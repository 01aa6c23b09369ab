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
// "10.0.0.5:8080", "[::1]:6060", ":6060"), "host:port/path", and either
// with credentials ("user:password@host:port").
//
// Any "scheme://" counts, not only http and https, and so does an IPv6
// address without brackets ("::1:6060"), so that Normalize can say what is
// wrong instead of the caller reporting a missing file. A path that exists
// as a file is the caller's concern: it checks files first.
func IsURL(arg string) bool {
	if scheme, _, ok := strings.Cut(arg, "://"); ok {
		return isScheme(scheme)
	}
	if _, ok := splitHostPort(arg[userinfoEnd(arg)+1:]); ok {
		return true
	}
	_, ok := bareIPv6(arg)
	return ok
}

// Normalize turns a user argument into the URL to GET, following the
// conventions of net/http/pprof:
//
//	localhost:6060                          → http://localhost:6060/debug/pprof/goroutine?debug=2
//	http://h:8080, http://h:8080/           → http://h:8080/debug/pprof/goroutine?debug=2
//	http://h:8080/debug/pprof, …/pprof/     → http://h:8080/debug/pprof/goroutine?debug=2
//	http://h/debug/pprof/goroutine          → http://h/debug/pprof/goroutine?debug=2
//	http://h/debug/pprof/goroutine?debug=1  → unchanged, as is any URL with a query (?seconds=30)
//	http://h/debug/pprof/goroutineleak      → unchanged, as is any other explicit path
//
// debug=2 is the default because without a debug parameter the goroutine
// profile is a gzipped protobuf that loses each goroutine's state and wait
// time. The pprof index may sit under a prefix (a service behind a reverse
// proxy), so "/svc/debug/pprof" becomes "/svc/debug/pprof/goroutine".
// A user:password in the URL is kept, since it is how the request
// authenticates; errors never show the password.
//
// A password that holds '/', '?' or '#' unescaped would end the host part
// early and send the rest of it as a path, to a host named after the user:
// such a URL is refused, with the escape to write.
func Normalize(arg string) (string, error) {
	if fixed, ok := bareIPv6(arg); ok {
		return "", fmt.Errorf("%s: an IPv6 address needs brackets: write %s", Redact(arg), Redact(fixed))
	}
	raw := arg
	_, rest, hasScheme := strings.Cut(arg, "://")
	if !hasScheme {
		at := userinfoEnd(arg) + 1
		hostport, ok := splitHostPort(arg[at:])
		if !ok {
			return "", fmt.Errorf("%q is neither a URL nor host:port", Redact(arg))
		}
		// A zone ("[fe80::1%eth0]:6060") must be escaped to survive url.Parse.
		if i := strings.IndexByte(hostport, '%'); i >= 0 && !strings.HasPrefix(hostport[i:], "%25") {
			raw = arg[:at+i] + "%25" + arg[at+i+1:]
		}
		rest, raw = raw, "http://"+raw
	}
	if at := userinfoEnd(rest); at >= 0 {
		if i := strings.IndexAny(rest[:at], "/?#"); i >= 0 {
			return "", fmt.Errorf("%s: invalid URL: unescaped %q before '@' (write it as %s in a password, and an '@' in a path or query as %%40)",
				Redact(arg), rest[i], url.QueryEscape(rest[i:i+1]))
		}
	}
	u, err := parseHTTP(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", Redact(arg), err)
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
	if path.Base(u.Path) == "goroutine" && u.RawQuery == "" {
		// A query says what the user wants (?debug=1, ?seconds=30,
		// which refuses a debug parameter): used as given.
		u.RawQuery = "debug=2"
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

// userinfoEnd returns the index of the '@' that ends the user[:password]
// of rest, a URL after its "scheme://" or a host:port argument, or -1 when
// there is none. It is the last '@', whatever comes before it, when a ':'
// does, because a password may hold '@', '/', '?' and '#' when people
// forget to escape them; where that is ambiguous ("h:80/a@b"), taking the
// '@' as the password's end hides more than needed, never less.
func userinfoEnd(rest string) int {
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return -1
	}
	if ui := rest[:at]; !strings.Contains(ui, ":") && strings.ContainsAny(ui, "/?#") {
		return -1 // "h/x@y": an '@' in a path
	}
	return at
}

// bareIPv6 recognises an IPv6 address written without brackets, which
// cannot be told from one with a port, and returns the argument as it
// should be written:
//
//	"::1:6060"                 → "[::1]:6060", true
//	"fe80::1%eth0:6060/x"      → "[fe80::1%eth0]:6060/x", true
//	"2001:db8::1"              → "[2001:db8::1]:PORT", true
//	"http://u@::1:6060/"       → "http://u@[::1]:6060/", true
//	"localhost:6060", "[::1]:6060", "C:\dumps" → "", false
func bareIPv6(arg string) (string, bool) {
	prefix, rest := "", arg
	if scheme, r, ok := strings.Cut(arg, "://"); ok {
		prefix, rest = scheme+"://", r
	}
	at := userinfoEnd(rest) + 1
	prefix, rest = prefix+rest[:at], rest[at:]
	hostport, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hostport, tail = rest[:i], rest[i:]
	}
	if strings.Count(hostport, ":") < 2 || strings.HasPrefix(hostport, "[") {
		return "", false
	}
	isIPv6 := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6()
	}
	if i := strings.LastIndexByte(hostport, ':'); isPort(hostport[i+1:]) && isIPv6(hostport[:i]) {
		return prefix + "[" + hostport[:i] + "]:" + hostport[i+1:] + tail, true
	}
	if isIPv6(hostport) {
		return prefix + "[" + hostport + "]:PORT" + tail, true
	}
	return "", false
}

// keptParams are the query parameters whose values Redact shows: the
// profile's own. Any other may be a credential (?token=…).
var keptParams = map[string]bool{"debug": true, "seconds": true}

// Redact makes a URL, or a host:port argument, fit to print: a password
// becomes "xxxxx", as does the value of every query parameter but debug
// and seconds, and the fragment. It works on text that does not parse,
// for messages about it:
//
//	"http://u:pw@h:bad/"                  → "http://u:xxxxx@h:bad/"
//	"u:p#w@h:6060"                        → "u:xxxxx@h:6060"
//	"http://h/goroutine?debug=2&token=s"  → "http://h/goroutine?debug=2&token=xxxxx"
func Redact(s string) string {
	var b strings.Builder
	rest := s
	if scheme, r, ok := strings.Cut(s, "://"); ok {
		b.WriteString(scheme + "://")
		rest = r
	}
	if at := userinfoEnd(rest); at >= 0 {
		user, _, hasPassword := strings.Cut(rest[:at], ":")
		b.WriteString(user)
		if hasPassword {
			b.WriteString(":xxxxx")
		}
		b.WriteByte('@')
		rest = rest[at+1:]
	}
	rest, fragment, hasFragment := strings.Cut(rest, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	b.WriteString(rest)
	if hasQuery {
		b.WriteByte('?')
		for i, param := range strings.Split(query, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, v, hasValue := strings.Cut(param, "=")
			if name, err := url.QueryUnescape(k); err == nil && keptParams[name] || v == "" && hasValue || param == "" {
				b.WriteString(param)
				continue
			}
			if hasValue {
				b.WriteString(k + "=")
			}
			b.WriteString("xxxxx") // a bare "?s3cr3t" too
		}
	}
	if hasFragment {
		b.WriteString("#")
		if fragment != "" {
			b.WriteString("xxxxx")
		}
	}
	return b.String()
}
