module github.com/leakscan/leakscan/bench

go 1.26.8

replace github.com/leakscan/leakscan => ../

require (
	github.com/DataDog/gostackparse v0.7.0
	github.com/leakscan/leakscan v0.0.0-00010101000000-000000000000
	github.com/maruel/panicparse/v2 v2.5.0
)

require github.com/google/pprof v0.0.0-20261016150608-1facf8f91b50 // indirect
