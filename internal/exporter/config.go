package exporter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is what the exporter knows of targets beyond their address:
// the headers to send them (credentials, which never come from the URL)
// and how to sample them. It is read from a file (--config):
//
//	targets:
//	  - match: "*.payments.svc:6060"
//	    headers:
//	      - "Authorization: Bearer s3cr3t"
//	  - match: "big-batch-*:6060"
//	    sampling: light
//
// A target takes the first entry whose match fits its host:port.
type Config struct {
	Targets []Target
}

// Target is one entry of a Config.
type Target struct {
	// Match is a pattern of the target's host and port as its URL has
	// them ("db-3.prod:6060", "[::1]:6060", "example.com" for a URL
	// without a port): "*" stands for any characters, every other
	// character for itself.
	Match string
	// Header is sent with every request to a matching target. Its
	// values are secrets: they appear in no message and no metric.
	Header http.Header
	// Sampling overrides Options.Sampling for matching targets; "" keeps
	// it.
	Sampling Sampling
}

// maxConfigBytes bounds a config file: a fleet's list fits in far less.
const maxConfigBytes = 1 << 20

// ReadConfig reads a Config in YAML from r, named name in errors. The
// errors name the entry and line at fault and never quote a header.
func ReadConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s: more than 1 MiB, not an exporter config", name)
	}
	var raw struct {
		Targets []struct {
			Match    string   `yaml:"match"`
			Headers  []string `yaml:"headers"`
			Sampling string   `yaml:"sampling"`
		} `yaml:"targets"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, yamlError(err))
	}
	c := &Config{}
	for i, t := range raw.Targets {
		where := fmt.Sprintf("%s: target %d", name, i+1)
		if t.Match == "" {
			return nil, fmt.Errorf("%s: no match (want a host:port pattern such as \"*.prod:6060\")", where)
		}
		where += fmt.Sprintf(" (match %q)", t.Match)
		h := http.Header{}
		for j, kv := range t.Headers {
			k, v, ok := strings.Cut(kv, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return nil, fmt.Errorf("%s: header %d is not of the form \"Name: value\" (its text is not shown)", where, j+1)
			}
			h.Add(k, strings.TrimSpace(v))
		}
		s := Sampling(t.Sampling)
		if t.Sampling != "" {
			if s, err = ParseSampling(t.Sampling); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		c.Targets = append(c.Targets, Target{Match: t.Match, Header: h, Sampling: s})
	}
	return c, nil
}

// yamlQuoted is how the YAML decoder quotes a value in its messages.
var yamlQuoted = regexp.MustCompile("`[^`]*`")

// yamlError is the decoder's message without the values it quotes, which
// may be a header, and without Go type names, which mean nothing to a
// user: "line 4: cannot unmarshal !!map into []string".
func yamlError(err error) string {
	msg := err.Error()
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = yamlQuoted.ReplaceAllString(msg, "a value")
	if i := strings.Index(msg, " in type "); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// lookup returns the first entry whose pattern matches host, or nil.
func (c *Config) lookup(host string) *Target {
	if c == nil {
		return nil
	}
	for i := range c.Targets {
		if globMatch(c.Targets[i].Match, host) {
			return &c.Targets[i]
		}
	}
	return nil
}

// globMatch reports whether s matches pattern, where "*" matches any run
// of characters and every other character itself: no character classes,
// so that "[::1]:6060" means what it says.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
