module wasmlab/moscow-time-go

go 1.21
