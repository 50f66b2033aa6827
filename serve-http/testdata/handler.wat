;; A component exporting wasi:http/incoming-handler@0.2.0 whose handler reads the
;; request's method, then runs ON_GET for GET and OTHERWISE for the others (core wasm
;; instructions, put in by the tests); it never sets a response.
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "incoming-request" (type $request (sub resource)))
    (export "response-outparam" (type (sub resource)))
    (type $m (variant (case "get") (case "head") (case "post") (case "put")
      (case "delete") (case "connect") (case "options") (case "trace")
      (case "patch") (case "other" string)))
    (export "method" (type $method (eq $m)))
    (export "[method]incoming-request.method"
      (func (param "self" (borrow $request)) (result $method)))))
  (alias export $types "incoming-request" (type $request))
  (alias export $types "response-outparam" (type $outparam))
  (alias export $types "[method]incoming-request.method" (func $method))
  (core module $libc
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $memory))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $method-lowered (canon lower (func $method) (memory $memory) (realloc $realloc)))
  (core module $guest
    (import "libc" "memory" (memory 1))
    (import "http" "method" (func $method (param i32 i32)))
    (func (export "handle") (param $request i32) (param $outparam i32)
      (call $method (local.get $request) (i32.const 0))
      (if (i32.eqz (i32.load8_u (i32.const 0)))
        (then ON_GET)
        (else OTHERWISE))))
  (core instance $guest (instantiate $guest
    (with "libc" (instance $libc))
    (with "http" (instance (export "method" (func $method-lowered))))))
  (func $handle (param "request" (own $request)) (param "response-out" (own $outparam))
    (canon lift (core func $guest "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))
