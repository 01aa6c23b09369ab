package parse

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goroutines parses text and returns every goroutine, in order.
func goroutines(t *testing.T, text string) ([]*Goroutine, *Snapshot) {
	t.Helper()
	var gs []*Goroutine
	snap, err := Read(context.Background(), strings.NewReader(text), "test", Options{
		Each: func(g *Goroutine) error { gs = append(gs, g); return nil },
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return gs, snap
}

func TestHeader(t *testing.T) {
	tests := []struct {
		header string
		want   Goroutine
	}{
		{"goroutine 20 [chan receive]:", Goroutine{ID: 20, State: "chan receive"}},
		{"goroutine 46 [chan receive, locked to thread]:", Goroutine{ID: 46, State: "chan receive", Locked: true}},
		{"goroutine 61 [syscall, 1 minutes]:", Goroutine{ID: 61, State: "syscall", WaitMinutes: 1}},
		{"goroutine 7 [select, 12 minutes, locked to thread]:", Goroutine{ID: 7, State: "select", WaitMinutes: 12, Locked: true}},
		{"goroutine 99 gp=0x424fdc9e960 m=7 mp=0x424fdc1b008 [running]:", Goroutine{ID: 99, State: "running"}},
		{"goroutine 1 gp=0x1ddc349061e0 m=nil [chan receive]:", Goroutine{ID: 1, State: "chan receive"}},
		{"goroutine 24 [sleep (durable), synctest bubble 1]:", Goroutine{ID: 24, State: "sleep", Bubble: 1}},
		{"goroutine 21 [chan receive (synctest), synctest group 19]:", Goroutine{ID: 21, State: "chan receive", Bubble: 19}},
		{"goroutine 35 [chan receive (nil chan) (leaked)]:", Goroutine{ID: 35, State: "chan receive (nil chan)", Leaked: true}},
		{"goroutine 36 [leaked]:", Goroutine{ID: 36, State: "leaked", Leaked: true}},
		{"goroutine 37 [GC worker (idle) (scan)]:", Goroutine{ID: 37, State: "GC worker (idle)"}},
		{`goroutine 56 [chan receive labels:{"component": "ingest", "tenant": "t-42"}]:`,
			Goroutine{ID: 56, State: "chan receive", Labels: []Label{{"component", "ingest"}, {"tenant", "t-42"}}}},
		{`goroutine 59 [chan receive labels:{"note": "na\u00efve\tvalue", "path": "/api/v1?q=\"x\"]:, y"}]:`,
			Goroutine{ID: 59, State: "chan receive", Labels: []Label{{"note", "naïve\tvalue"}, {"path", `/api/v1?q="x"]:, y`}}}},
		{`goroutine 54 [chan receive (leaked), 3 minutes, locked to thread labels:{"a": "]"}]:`,
			Goroutine{ID: 54, State: "chan receive", Leaked: true, WaitMinutes: 3, Locked: true, Labels: []Label{{"a", "]"}}}},
		{"goroutine 18446744073709551615 [idle]:", Goroutine{ID: 18446744073709551615, State: "idle"}},
		// Go 1.27: labels after the brackets, quoted only when needed.
		{`goroutine 73 [chan receive] {component: ingest, tenant: "t-42"}:`,
			Goroutine{ID: 73, State: "chan receive", Labels: []Label{{"component", "ingest"}, {"tenant", "t-42"}}}},
		{`goroutine 76 [select, 2 minutes, locked to thread] {note: "na\u00efve ]} \"q\"\tv", path: "/api/v1?q=[x]", a.b/c_d: x}:`,
			Goroutine{ID: 76, State: "select", WaitMinutes: 2, Locked: true,
				Labels: []Label{{"note", "naïve ]} \"q\"\tv"}, {"path", "/api/v1?q=[x]"}, {"a.b/c_d", "x"}}}},
		{`goroutine 77 gp=0xc000 m=nil [chan receive (leaked)] {"k 1": v}:`,
			Goroutine{ID: 77, State: "chan receive", Leaked: true, Labels: []Label{{"k 1", "v"}}}},
	}
	for _, tt := range tests {
		text := tt.header + "\nmain.f()\n\t/app/main.go:3 +0x1\ncreated by main.main in goroutine 1\n\t/app/main.go:9 +0x2\n"
		gs, _ := goroutines(t, text)
		if len(gs) != 1 {
			t.Errorf("%s: got %d goroutines, want 1", tt.header, len(gs))
			continue
		}
		got := *gs[0]
		got.Frames, got.Count, got.Creator, got.ParentID = nil, 0, Frame{}, 0
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.header, diff)
		}
	}
}

func TestFrames(t *testing.T) {
	text := `goroutine 5 [select]:
example.com/app/gen.(*Pool[...]).worker(0xc000010000, {0x6f087c, 0x5}, 0x0?)
	/home/dev/app/gen/pool.go:17 +0x2a
example.com/app/netio%2ev2.acceptLoop(...)
	/home/dev/app/netio.v2/accept.go:9
main.(*Server).loop.func1.2()
	C:/Users/dev/My Projects/app/server.go:88 +0x1d fp=0xc000051fd0 sp=0xc000051f80 pc=0x4a1b2c
panic({0x4b2c40?, 0x5f2e10?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
example.com/app.Run.gowrap1()
	example.com/app/run.go:3 +0x25
created by example.com/app.Start in goroutine 1
	example.com/app/start.go:41 +0x45
`
	gs, _ := goroutines(t, text)
	if len(gs) != 1 {
		t.Fatalf("got %d goroutines, want 1", len(gs))
	}
	want := &Goroutine{
		ID: 5, State: "select", Count: 1, ParentID: 1,
		Frames: []Frame{
			{Func: "example.com/app/gen.(*Pool[...]).worker", File: "/home/dev/app/gen/pool.go", Line: 17},
			{Func: "example.com/app/netio%2ev2.acceptLoop", File: "/home/dev/app/netio.v2/accept.go", Line: 9, Inlined: true},
			{Func: "main.(*Server).loop.func1.2", File: "C:/Users/dev/My Projects/app/server.go", Line: 88},
			{Func: "panic", File: "/usr/local/go/src/runtime/panic.go", Line: 792},
			{Func: "example.com/app.Run.gowrap1", File: "example.com/app/run.go", Line: 3},
		},
		Creator: Frame{Func: "example.com/app.Start", File: "example.com/app/start.go", Line: 41},
	}
	if diff := cmp.Diff(want, gs[0]); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestElision(t *testing.T) {
	text := `goroutine 9 [chan receive]:
main.recurse(0x0?)
	/app/main.go:12 +0x3c
...101 frames elided...
main.recurse(0x0?)
	/app/main.go:12 +0x3c
created by main.main in goroutine 1
	/app/main.go:30 +0x45

goroutine 10 [chan receive]:
main.recurse(0x0)
	/app/main.go:12 +0x3c
...additional frames elided...
created by main.main
	/app/main.go:31 +0x45
`
	gs, snap := goroutines(t, text)
	if len(gs) != 2 {
		t.Fatalf("got %d goroutines, want 2", len(gs))
	}
	if gs[0].Elided != 101 || gs[1].Elided != -1 {
		t.Errorf("Elided = %d, %d; want 101, -1", gs[0].Elided, gs[1].Elided)
	}
	if len(gs[0].Frames) != 2 || gs[0].Creator.Line != 30 || gs[1].Creator.Line != 31 {
		t.Errorf("frames or creators wrong: %+v %+v", gs[0], gs[1])
	}
	for _, st := range snap.Stacks {
		if cut := st.Creator.Line == 31; st.Cut != cut {
			t.Errorf("stack created at line %d: Cut = %v, want %v", st.Creator.Line, st.Cut, cut)
		}
	}
}

func TestAncestors(t *testing.T) {
	text := `goroutine 80 [chan receive]:
example.com/w.Spawner.func1.1.1()
	/app/w.go:318 +0x2a
created by example.com/w.Spawner.func1.1 in goroutine 72
	/app/w.go:317 +0x31
[originating from goroutine 72]:
example.com/w.Spawner.func1.1(...)
	/app/w.go:316 +0x31
created by example.com/w.Spawner.func1
	/app/w.go:315 +0x45
[originating from goroutine 1]:
example.com/w.Spawner(...)
	/app/w.go:326 +0x8c
main.main(...)
	/app/main.go:63 +0x110
...additional frames elided...

goroutine 81 [running]:
	goroutine running on other thread; stack unavailable
created by main.main in goroutine 1
	/app/main.go:70 +0x45
`
	gs, snap := goroutines(t, text)
	if len(gs) != 2 {
		t.Fatalf("got %d goroutines, want 2", len(gs))
	}
	want := []Ancestor{
		{ID: 72, Frames: []Frame{{Func: "example.com/w.Spawner.func1.1", File: "/app/w.go", Line: 316, Inlined: true}},
			Creator: Frame{Func: "example.com/w.Spawner.func1", File: "/app/w.go", Line: 315}},
		{ID: 1, Frames: []Frame{
			{Func: "example.com/w.Spawner", File: "/app/w.go", Line: 326, Inlined: true},
			{Func: "main.main", File: "/app/main.go", Line: 63, Inlined: true}}},
	}
	if diff := cmp.Diff(want, gs[0].Ancestors); diff != "" {
		t.Errorf("ancestors (-want +got)\n%s", diff)
	}
	if gs[0].Creator.Line != 317 || gs[0].ParentID != 72 || gs[0].Elided != 0 || len(gs[0].Frames) != 1 {
		t.Errorf("ancestors leaked into the goroutine: %+v", gs[0])
	}
	if len(gs[1].Frames) != 0 || gs[1].Creator.Line != 70 {
		t.Errorf("goroutine without stack: %+v", gs[1])
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %q", snap.Warnings)
	}
}

func TestPlainLocation(t *testing.T) {
	for line, want := range map[string]bool{
		"\t/app/main.go:12 +0x3c":                                true,
		"\t/app/main.go:58":                                      true,
		"\tC:/Program Files/Go/src/x.go:7 +0x1d":                 true,
		"\t/app/main.go:12 +0x3c fp=0x1 sp=0x2 pc=0x3":           false,
		"\t/app/main.go:12 +0x3c\r":                              false,
		"\tgoroutine running on other thread; stack unavailable": false,
		"\t/app/main.go":                                         false,
		"\t/app/main.go: +0x1":                                   false,
		"\t:12":                                                  false,
	} {
		if got := plainLocation([]byte(line)); got != want {
			t.Errorf("plainLocation(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestUnknownHeaderWarns(t *testing.T) {
	_, snap := goroutines(t, twoBlocksWith("goroutine 7 [select] <some future annotation>:"))
	if len(snap.Warnings) == 0 || !strings.Contains(snap.Warnings[0], "unrecognised goroutine header") {
		t.Errorf("warnings %q: want one naming the header the parser does not know", snap.Warnings)
	}
}

// twoBlocksWith replaces the second header of twoBlocks.
func twoBlocksWith(header string) string {
	return strings.Replace(twoBlocks, "goroutine 7 [select]:", header, 1)
}
