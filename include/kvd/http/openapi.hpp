// The OpenAPI 3.0 document of kvd's HTTP API, served at GET /v1/openapi.json. The source is
// docs/openapi.yaml; tools/gen_openapi.py converts it to JSON in src/http/openapi_doc.cpp
// (checked in, so building needs no YAML parser); test/e2e/test_openapi.py checks that the
// two agree and that the document and the route table (routes()) list the same routes.
#pragma once
#include <string_view>

namespace kvd::http {

/// The OpenAPI document as JSON text (static storage).
[[nodiscard]] std::string_view openapi_json() noexcept;

}  // namespace kvd::http
