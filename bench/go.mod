module github.com/leakscan/leakscan/bench

go 1.26.0

replace github.com/leakscan/leakscan => ../

require (
	github.com/DataDog/gostackparse v0.7.0
	github.com/leakscan/leakscan v0.0.0-00010101000000-000000000000
	github.com/maruel/panicparse/v2 v2.5.0
)

require (
	github.com/BurntSushi/toml v1.4.1-0.20240526193622-a339e1f7089c // indirect
	github.com/google/pprof v0.0.0-20261016150608-1facf8f91b50 // indirect
	golang.org/x/exp/typeparams v0.0.0-20231108232855-2478ac86f678 // indirect
	golang.org/x/mod v0.41.0 // indirect
	golang.org/x/sync v0.23.0 // indirect
	golang.org/x/tools v0.51.0 // indirect
	honnef.co/go/tools v0.8.2 // indirect
)

tool honnef.co/go/tools/cmd/staticcheck
