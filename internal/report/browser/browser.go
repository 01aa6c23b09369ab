// Package browser drives a headless Chromium over the DevTools protocol,
// so that the tests of the HTML report can look at it as a person would:
// load a page, read what the console said, run a script in it, take a
// screenshot. It speaks the protocol's JSON over one websocket; it is
// test support, not part of leakscan.
package browser

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Find returns the path of a Chromium (Debian's chromium package, or
// one named by $LEAKSCAN_BROWSER), or "" when there is none.
func Find() string {
	if p := os.Getenv("LEAKSCAN_BROWSER"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// flags start Chromium headless and quiet: no sandbox (tests run as
// root), no GPU, nothing fetched from the network on its own, and a
// profile of its own (see Launch).
var flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
	"--remote-debugging-port=0",
}

// Browser is a running Chromium.
type Browser struct {
	cmd     *exec.Cmd
	profile string
	conn    *websocket.Conn
	stop    context.CancelFunc
	done    sync.WaitGroup // the reader
	exited  chan struct{}  // closed when cmd.Wait returned

	mu      sync.Mutex
	next    int64
	waiting map[int64]chan reply
	pages   map[string]*Page // by session id
	readErr error
}

type reply struct {
	Result json.RawMessage
	Err    error
}

// message is a DevTools protocol message: a command's reply (ID set) or
// an event (Method set).
type message struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Launch starts the Chromium at path, with a new profile in a temporary
// directory, and connects to it. Close stops it.
func Launch(ctx context.Context, path string) (*Browser, error) {
	profile, err := os.MkdirTemp("", "leakscan-browser-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, append(append([]string(nil), flags...), "--user-data-dir="+profile, "about:blank")...)
	// Chromium says on stderr where its DevTools listen. Its helper
	// processes share that stderr and may keep it open a moment after
	// it exits: Wait waits for them at most WaitDelay.
	listen := &listenWriter{found: make(chan string, 1)}
	cmd.Stderr = listen
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	b := &Browser{cmd: cmd, profile: profile, waiting: map[int64]chan reply{}, pages: map[string]*Page{}}
	exited := make(chan struct{})
	go func() {
		// Close and kill wait for it, Launch notices an early exit.
		cmd.Wait()
		close(exited)
	}()
	b.exited = exited
	var url string
	select {
	case url = <-listen.found:
	case <-exited:
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	if url == "" {
		b.kill()
		return nil, fmt.Errorf("start %s: it did not say where its DevTools listen (%s)", path, listen.tail())
	}
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		b.kill()
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	conn.SetReadLimit(-1) // screenshots are megabytes
	b.conn = conn
	readCtx, stop := context.WithCancel(context.Background())
	b.stop = stop
	b.done.Add(1)
	go b.read(readCtx)
	return b, nil
}

// read dispatches what the browser sends until the connection ends.
func (b *Browser) read(ctx context.Context) {
	defer b.done.Done()
	for {
		_, data, err := b.conn.Read(ctx)
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.waiting {
				ch <- reply{Err: fmt.Errorf("browser connection: %w", err)}
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.waiting[m.ID]; ch != nil {
				r := reply{Result: m.Result}
				if m.Error != nil {
					r.Err = fmt.Errorf("%d %s", m.Error.Code, m.Error.Message)
				}
				ch <- r
				delete(b.waiting, m.ID)
			}
		} else if p := b.pages[m.SessionID]; p != nil {
			p.event(m.Method, m.Params)
		}
		b.mu.Unlock()
	}
}

// call sends a command (to the page of session, or to the browser when
// it is "") and decodes its result into out, unless out is nil.
func (b *Browser) call(ctx context.Context, session, method string, params, out any) error {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("%s: browser connection: %w", method, b.readErr)
	}
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()

	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(message{ID: id, SessionID: session, Method: method, Params: raw})
	if err != nil {
		return err
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		b.forget(id)
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return fmt.Errorf("%s: %w", method, r.Err)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(r.Result, out)
	case <-ctx.Done():
		b.forget(id)
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *Browser) forget(id int64) {
	b.mu.Lock()
	delete(b.waiting, id)
	b.mu.Unlock()
}

// Close stops the browser and removes its profile.
func (b *Browser) Close() error {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.call(ctx, "", "Browser.close", struct{}{}, nil)
		cancel()
	}
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
	}
	if b.conn != nil {
		b.conn.CloseNow()
		b.stop()
	}
	b.done.Wait()
	return os.RemoveAll(b.profile)
}

// kill ends a browser that never connected.
func (b *Browser) kill() {
	b.cmd.Process.Kill()
	<-b.exited
	os.RemoveAll(b.profile)
}

// listenWriter takes Chromium's stderr, looking for the line that says
// where its DevTools listen, and keeps the last bytes for an error.
type listenWriter struct {
	mu    sync.Mutex
	line  []byte
	last  []byte
	found chan string
	sent  bool
}

func (w *listenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = append(w.last, p...)
	if len(w.last) > 2048 {
		w.last = w.last[len(w.last)-2048:]
	}
	if w.sent {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		i := strings.IndexByte(string(w.line), '\n')
		if i < 0 {
			break
		}
		line := string(w.line[:i])
		w.line = w.line[i+1:]
		if _, url, ok := strings.Cut(line, "DevTools listening on "); ok {
			w.found <- strings.TrimSpace(url)
			w.sent, w.line = true, nil
			break
		}
	}
	if len(w.line) > 1<<16 {
		w.line = nil
	}
	return len(p), nil
}

func (w *listenWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.last))
}

// Page is one tab.
type Page struct {
	b       *Browser
	session string

	// Guarded by b.mu.
	errors []string
	loaded chan struct{}
}

// NewPage opens a tab with a viewport of width×height CSS pixels.
func (b *Browser) NewPage(ctx context.Context, width, height int) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: attached.SessionID, loaded: make(chan struct{}, 1)}
	b.mu.Lock()
	b.pages[p.session] = p
	b.mu.Unlock()
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := p.call(ctx, domain, struct{}{}, nil); err != nil {
			return nil, err
		}
	}
	return p, p.call(ctx, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
}

func (p *Page) call(ctx context.Context, method string, params, out any) error {
	return p.b.call(ctx, p.session, method, params, out)
}

// event records what a page's console said in error, and its loads.
// It runs with b.mu held.
func (p *Page) event(method string, params json.RawMessage) {
	switch method {
	case "Page.loadEventFired":
		select {
		case p.loaded <- struct{}{}:
		default:
		}
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(params, &e) == nil && (e.Type == "error" || e.Type == "assert") {
			var parts []string
			for _, a := range e.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, fmt.Sprint(a.Value))
				}
			}
			p.errors = append(p.errors, "console."+e.Type+": "+strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var e struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		if json.Unmarshal(params, &e) == nil {
			p.errors = append(p.errors, "exception: "+e.Details.Text+" "+e.Details.Exception.Description)
		}
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
			} `json:"entry"`
		}
		if json.Unmarshal(params, &e) == nil && e.Entry.Level == "error" {
			p.errors = append(p.errors, e.Entry.Source+": "+e.Entry.Text)
		}
	}
}

// Errors returns what the page's console said in error so far: errors
// logged, exceptions thrown, and the browser's own (a resource refused
// by the page's Content-Security-Policy, a request that failed).
func (p *Page) Errors() []string {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// DisableScript turns JavaScript off for the page's next loads.
func (p *Page) DisableScript(ctx context.Context) error {
	return p.call(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(ctx context.Context, url string) error {
	select {
	case <-p.loaded:
	default:
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate to %s: %s", url, nav.ErrorText)
	}
	select {
	case <-p.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("navigate to %s: %w", url, ctx.Err())
	}
}

// Eval runs a JavaScript expression in the page, awaiting it when it is
// a promise, and decodes its value (as JSON) into out, unless out is nil.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	params := map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}
	if err := p.call(ctx, "Runtime.evaluate", params, &r); err != nil {
		return err
	}
	if d := r.ExceptionDetails; d != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, d.Text, d.Exception.Description)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Screenshot returns a PNG of the page's top width×height CSS pixels
// (its whole height when height is 0).
func (p *Page) Screenshot(ctx context.Context, width, height int) ([]byte, error) {
	if height == 0 {
		if err := p.Eval(ctx, "document.documentElement.scrollHeight", &height); err != nil {
			return nil, err
		}
	}
	var shot struct {
		Data string `json:"data"`
	}
	params := map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
	}
	if err := p.call(ctx, "Page.captureScreenshot", params, &shot); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return nil, errors.New("Page.captureScreenshot: the image is not base64")
	}
	return png, nil
}
