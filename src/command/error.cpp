#include "kvd/command/error.hpp"

namespace kvd::command {

std::string_view error_text(op_status s) noexcept {
  switch (s) {
    case op_status::wrong_type: return err::wrong_type;
    case op_status::not_integer: return err::not_integer;
    case op_status::not_float: return err::not_float;
    case op_status::overflow: return err::overflow;
    case op_status::syntax: return err::syntax;
    case op_status::out_of_range: return err::out_of_range;
    case op_status::oom: return err::oom;
    case op_status::string_too_long: return err::string_too_long;
    case op_status::ok:
    case op_status::key_not_found: break;
  }
  return "ERR internal error";
}

}  // namespace kvd::command
