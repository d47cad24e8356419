//===- Parser.cpp - Read the .dlir text format ---------------------------===//
//
// Grammar (the Printer's output; `//` comments run to end of line):
//
//   module     ::= (weight | graph)*
//   weight     ::= 'weight' SYMBOL '=' (tensor | external)
//   graph      ::= 'graph' SYMBOL body
//   body       ::= '(' (VALUE ':' type),* ')' ('->' '(' STRING,* ')')?
//                  '{' node* 'return' VALUE,* '}'
//   node       ::= (VALUE,+ '=')? IDENT '(' VALUE,* ')'
//                  ('captures' '(' VALUE,* ')')? attrs? ':' types
//   types      ::= '(' ')' | type (',' type)*
//   attrs      ::= '{' (IDENT '=' attr),* '}'
//   attr       ::= INT | FLOAT | STRING | '[' (INT,* | FLOAT,*) ']' | 'f64[]'
//                | tensor | 'graph' body
//   tensor     ::= 'dense' '<' type ('[' element,* ']' | HEX | element) '>'
//                  (one element alone: every element has that value)
//   external   ::= 'external' '<' type STRING INT '>'
//   type       ::= DTYPE '[' ('*' | (INT | IDENT | '?'),*) ']'
//
// VALUE is %name or %"quoted", SYMBOL @name or @"quoted". Each graph body is
// its own scope: a nested graph sees only its own inputs and results. A
// value named by digits alone is anonymous, unless the digits are quoted.
// The strings after '->' name a top-level graph's results (its interface);
// without them each result is named after the value returned.
//
// Errors are raised as an internal ParseError and turned into one
// diagnostic at the API boundary.
//
//===----------------------------------------------------------------------===//

#include "ir/Parser.h"

#include "ir/OpRegistry.h"
#include "ir/Printer.h"
#include "ir/Weights.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <iostream>
#include <sstream>

namespace dlc {
namespace {

/// Nested graphs deeper than this are rejected (bounds parser recursion).
constexpr int kMaxNesting = 200;

struct ParseError {
  Location location;
  std::string message;
};

enum class Tok {
  Eof, Ident, Value, Symbol, Int, Float, String, Hex,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Less, Greater,
  Comma, Colon, Equal, Question, Star, Plus, Minus, Slash, DataSymbol
};

struct Token {
  Tok kind = Tok::Eof;
  std::string text; ///< Identifier, decoded name/string, number or hex text.
  int line = 0, column = 0;
  bool quoted = false; ///< a %"name" or @"name"
};

bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '$' || c == '-';
}

/// Length of the UTF-8 sequence starting at `s` (0 if invalid).
size_t utf8Length(std::string_view s) {
  unsigned char c = static_cast<unsigned char>(s[0]);
  size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                  : (c >> 3) == 30 ? 4 : 0;
  if (length == 0 || length > s.size())
    return 0;
  for (size_t i = 1; i < length; ++i)
    if ((static_cast<unsigned char>(s[i]) >> 6) != 2)
      return 0;
  return length;
}

class Lexer {
public:
  Lexer(std::string_view text, const std::string &file)
      : text_(text), file_(file) {}

  Token next() {
    skipSpaceAndComments();
    Token token;
    token.line = line_;
    token.column = column();
    if (pos_ >= text_.size())
      return token;
    char c = text_[pos_];
    auto single = [&](Tok kind) {
      ++pos_;
      token.kind = kind;
      token.text = std::string(1, c);
      return token;
    };
    switch (c) {
    case '(': return single(Tok::LParen);
    case ')': return single(Tok::RParen);
    case '{': return single(Tok::LBrace);
    case '}': return single(Tok::RBrace);
    case '[': return single(Tok::LBracket);
    case ']': return single(Tok::RBracket);
    case '<': return single(Tok::Less);
    case '>': return single(Tok::Greater);
    case ',': return single(Tok::Comma);
    case ':': return single(Tok::Colon);
    case '=': return single(Tok::Equal);
    case '?':
      // `?name` is a data-dependent symbol; `?` alone an unknown dim.
      if (pos_ + 1 < text_.size() && isIdentStart(text_[pos_ + 1])) {
        size_t start = ++pos_;
        while (pos_ < text_.size() && isIdentChar(text_[pos_]))
          ++pos_;
        token.kind = Tok::DataSymbol;
        token.text = std::string(text_.substr(start, pos_ - start));
        return token;
      }
      return single(Tok::Question);
    case '*': return single(Tok::Star);
    case '+': return single(Tok::Plus);
    case '/': return single(Tok::Slash);
    case '"':
      token.kind = Tok::String;
      token.text = string(token);
      return token;
    case '%':
    case '@': {
      ++pos_;
      token.kind = c == '%' ? Tok::Value : Tok::Symbol;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        token.quoted = true;
        token.text = string(token);
        if (token.text.empty())
          fail(token, "empty name");
        return token;
      }
      size_t start = pos_;
      while (pos_ < text_.size() && isNameChar(text_[pos_]))
        ++pos_;
      if (start == pos_)
        fail(token, std::string("expected a name after '") + c + "'");
      token.text = std::string(text_.substr(start, pos_ - start));
      return token;
    }
    default: break;
    }
    if (c == '0' && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == 'x' || text_[pos_ + 1] == 'X')) {
      pos_ += 2;
      size_t start = pos_;
      while (pos_ < text_.size() &&
             std::isxdigit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      token.kind = Tok::Hex;
      token.text = std::string(text_.substr(start, pos_ - start));
      return token;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) ||
          text_.substr(pos_ + 1, 3) == "inf")))
      return number(token);
    if (c == '-')
      return single(Tok::Minus);
    if (isIdentStart(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && isIdentChar(text_[pos_]))
        ++pos_;
      token.kind = Tok::Ident;
      token.text = std::string(text_.substr(start, pos_ - start));
      if (token.text == "inf" || token.text == "nan")
        token.kind = Tok::Float;
      return token;
    }
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || byte < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", byte);
      fail(token, std::string("unexpected byte ") + hex +
                      " (text outside strings must be ASCII)");
    }
    fail(token, std::string("unexpected character '") + c + "'");
  }

  [[noreturn]] void fail(const Token &at, std::string message) const {
    throw ParseError{Location::fileLine(file_, at.line, at.column),
                     std::move(message)};
  }
  /// Fails at byte `offset` of the current line's text.
  [[noreturn]] void failAtByte(size_t offset, std::string message) const {
    throw ParseError{Location::fileLine(file_, line_,
                                        static_cast<int>(offset - lineStart_) +
                                            1),
                     std::move(message)};
  }

private:
  int column() const { return static_cast<int>(pos_ - lineStart_) + 1; }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        lineStart_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else {
        return;
      }
    }
  }

  Token number(Token &token) {
    size_t start = pos_;
    if (text_[pos_] == '-')
      ++pos_;
    if (text_.substr(pos_, 3) == "inf") {
      pos_ += 3;
      token.kind = Tok::Float;
      token.text = "-inf";
      return token;
    }
    bool isFloat = false;
    auto digits = [&] {
      while (pos_ < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
    };
    digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      isFloat = true;
      ++pos_;
      digits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      isFloat = true;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      size_t exponent = pos_;
      digits();
      if (exponent == pos_)
        fail(token, "expected digits in the exponent");
    }
    token.kind = isFloat ? Tok::Float : Tok::Int;
    token.text = std::string(text_.substr(start, pos_ - start));
    return token;
  }

  /// A quoted string starting at pos_; returns the decoded bytes.
  std::string string(const Token &token) {
    ++pos_; // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n')
        fail(token, "unterminated string");
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size())
          fail(token, "unterminated string");
        char e = text_[pos_ + 1];
        pos_ += 2;
        if (e == 'n') out += '\n';
        else if (e == 't') out += '\t';
        else if (e == '"' || e == '\\') out += e;
        else if (e == 'x' && pos_ + 2 <= text_.size() &&
                 std::isxdigit(static_cast<unsigned char>(text_[pos_])) &&
                 std::isxdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
          out += static_cast<char>(
              std::stoi(std::string(text_.substr(pos_, 2)), nullptr, 16));
          pos_ += 2;
        } else {
          failAtByte(pos_ - 2, std::string("unknown escape '\\") + e +
                                   "' in string");
        }
        continue;
      }
      size_t length = utf8Length(text_.substr(pos_));
      if (length == 0)
        failAtByte(pos_, "invalid UTF-8 in string (use \\xHH escapes for "
                         "bytes)");
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
        failAtByte(pos_, "control character in string");
      out.append(text_.substr(pos_, length));
      pos_ += length;
    }
  }

  std::string_view text_;
  const std::string &file_;
  size_t pos_ = 0;
  size_t lineStart_ = 0;
  int line_ = 1;
};

std::string describe(const Token &token) {
  switch (token.kind) {
  case Tok::Eof: return "end of file";
  case Tok::Value: return "'%" + token.text + "'";
  case Tok::Symbol: return "'@" + token.text + "'";
  case Tok::String: return "a string";
  case Tok::Hex: return "a hex literal";
  case Tok::DataSymbol: return "'?" + token.text + "'";
  default: return "'" + token.text + "'";
  }
}

/// Names visible in one graph body.
using Scope = std::map<std::string, Value *, std::less<>>;

class Parser {
public:
  Parser(std::string_view text, const std::string &file)
      : lexer_(text, file), file_(file) {
    advance();
  }

  std::unique_ptr<Module> module() {
    auto module = std::make_unique<Module>();
    module_ = module.get();
    while (tok_.kind != Tok::Eof) {
      if (isKeyword("weight"))
        weight();
      else if (isKeyword("graph"))
        topGraph();
      else
        fail("expected 'weight' or 'graph' at top level, got " +
             describe(tok_));
    }
    return module;
  }

private:
  // --- Token helpers ------------------------------------------------------
  void advance() { tok_ = lexer_.next(); }
  [[noreturn]] void fail(std::string message) const {
    lexer_.fail(tok_, std::move(message));
  }
  [[noreturn]] void failAt(const Token &at, std::string message) const {
    lexer_.fail(at, std::move(message));
  }
  Location here() const {
    return Location::fileLine(file_, tok_.line, tok_.column);
  }
  bool isKeyword(std::string_view word) const {
    return tok_.kind == Tok::Ident && tok_.text == word;
  }
  bool accept(Tok kind) {
    if (tok_.kind != kind)
      return false;
    advance();
    return true;
  }
  Token expect(Tok kind, std::string_view what) {
    if (tok_.kind != kind)
      fail("expected " + std::string(what) + ", got " + describe(tok_));
    Token token = tok_;
    advance();
    return token;
  }
  void expectKeyword(std::string_view word) {
    if (!isKeyword(word))
      fail("expected '" + std::string(word) + "', got " + describe(tok_));
    advance();
  }

  int64_t integer(const Token &token) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(
        token.text.data(), token.text.data() + token.text.size(), value);
    if (ec != std::errc() || end != token.text.data() + token.text.size())
      failAt(token, "integer " + token.text + " is out of range");
    return value;
  }
  double floating(const Token &token) {
    if (token.text == "inf") return INFINITY;
    if (token.text == "-inf") return -INFINITY;
    if (token.text == "nan") return NAN;
    double value = 0;
    auto [end, ec] = std::from_chars(
        token.text.data(), token.text.data() + token.text.size(), value);
    if (ec != std::errc() || end != token.text.data() + token.text.size())
      failAt(token, "number " + token.text + " is out of range");
    return value;
  }

  // --- Types ----------------------------------------------------------------
  TensorType type() {
    Token name = expect(Tok::Ident, "a type such as f32[N,4]");
    std::optional<DType> dtype = parseDType(name.text);
    if (!dtype)
      failAt(name, "unknown dtype '" + name.text + "'");
    expect(Tok::LBracket, "'[' after the dtype");
    if (accept(Tok::Star)) {
      expect(Tok::RBracket, "']' after '*'");
      return TensorType::unranked(*dtype);
    }
    std::vector<Dim> dims;
    if (!accept(Tok::RBracket)) {
      do {
        dims.push_back(dim());
        if (dims.size() > 64)
          fail("more than 64 dimensions");
      } while (accept(Tok::Comma));
      expect(Tok::RBracket, "',' or ']' in the shape");
    }
    return TensorType(*dtype, std::move(dims));
  }

  // --- Tensors --------------------------------------------------------------
  /// `type` must be static with a payload within limits.
  int64_t checkedPayload(const Token &at, const TensorType &type) {
    if (!type.isStatic())
      failAt(at, "tensor type " + type.str() + " must be static");
    std::optional<int64_t> bytes = Tensor::payloadBytes(type);
    if (!bytes)
      failAt(at, "tensor type " + type.str() + " is too large (limit " +
                     std::to_string(kMaxTensorBytes >> 30) + " GiB)");
    return *bytes;
  }

  /// `elided<type>`: a dump printed without a tensor's data.
  [[noreturn]] void elidedTensor() {
    fail("the data of this tensor was elided from the dump, so it cannot be read back; print "
         "the IR with --print-weights (or store weights with --weights-file)");
  }

  std::shared_ptr<const Tensor> denseTensor() {
    if (isKeyword("elided"))
      elidedTensor();
    expectKeyword("dense");
    expect(Tok::Less, "'<' after 'dense'");
    Token at = tok_;
    TensorType tensorType = type();
    int64_t bytes = checkedPayload(at, tensorType);
    std::shared_ptr<Tensor> tensor;
    if (tok_.kind == Tok::Hex) {
      const std::string &hex = tok_.text;
      if (static_cast<int64_t>(hex.size()) != 2 * bytes)
        fail("hex payload has " + std::to_string(hex.size() / 2) +
             " bytes, type " + tensorType.str() + " needs " +
             std::to_string(bytes));
      auto nibble = [](char c) {
        return static_cast<uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      };
      std::vector<uint8_t> data(static_cast<size_t>(bytes));
      for (int64_t i = 0; i < bytes; ++i)
        data[i] = static_cast<uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
      tensor = std::make_shared<Tensor>(tensorType, std::move(data));
      advance();
    } else if (tok_.kind == Tok::LBracket) {
      tensor = elementList(tensorType);
    } else if (tok_.kind == Tok::Int || tok_.kind == Tok::Float || tok_.kind == Tok::Ident) {
      if (bytes > kMaxSplatBytes)
        fail("a tensor of " + std::to_string(bytes) + " bytes must list its elements (one value "
             "stands for at most " + std::to_string(kMaxSplatBytes >> 20) + " MiB)");
      // A splat: every element this one (checked even when there are none).
      Tensor one(TensorType(tensorType.dtype(), {}));
      element(one, 0, tok_);
      tensor = std::make_shared<Tensor>(tensorType);
      for (int64_t i = 0; i < tensor->numElements(); ++i)
        std::memcpy(tensor->bytes().data() + i * one.bytes().size(), one.bytes().data(),
                    one.bytes().size());
      advance();
    } else {
      fail("expected '[', a hex payload or one value for every element, got " + describe(tok_));
    }
    expect(Tok::Greater, "'>' to close the tensor");
    return tensor;
  }

  /// `[e, ...]` with exactly as many elements as the type has; values are
  /// collected first so a short list never causes a large allocation.
  std::shared_ptr<Tensor> elementList(const TensorType &type) {
    expect(Tok::LBracket, "'[' or a hex payload");
    int64_t count = *type.numElements();
    std::vector<Token> elements;
    if (tok_.kind != Tok::RBracket) {
      do {
        if (static_cast<int64_t>(elements.size()) == count)
          fail("more elements than type " + type.str() + " holds");
        if (tok_.kind != Tok::Int && tok_.kind != Tok::Float &&
            tok_.kind != Tok::Ident)
          fail("expected a tensor element, got " + describe(tok_));
        elements.push_back(tok_);
        advance();
      } while (accept(Tok::Comma));
    }
    if (static_cast<int64_t>(elements.size()) != count)
      fail("expected " + std::to_string(count) + " elements for " + type.str() +
           ", got " + std::to_string(elements.size()));
    expect(Tok::RBracket, "']' after the elements");
    auto tensor = std::make_shared<Tensor>(type);
    for (int64_t i = 0; i < count; ++i)
      element(*tensor, i, elements[i]);
    return tensor;
  }

  void element(Tensor &tensor, int64_t i, const Token &token) {
    DType dtype = tensor.dtype();
    if (dtype == DType::Bool) {
      if (token.kind != Tok::Ident ||
          (token.text != "true" && token.text != "false"))
        failAt(token, "expected true or false, got " + describe(token));
      tensor.setInt(i, token.text == "true");
    } else if (isFloat(dtype)) {
      if (token.kind == Tok::Int)
        tensor.setDouble(i, static_cast<double>(integer(token)));
      else if (token.kind == Tok::Float)
        tensor.setDouble(i, floating(token));
      else
        failAt(token, "expected a number, got " + describe(token));
    } else {
      if (token.kind != Tok::Int)
        failAt(token, "expected an integer, got " + describe(token));
      if (dtype == DType::U64) {
        uint64_t value = 0;
        auto [end, ec] = std::from_chars(
            token.text.data(), token.text.data() + token.text.size(), value);
        if (ec != std::errc() || end != token.text.data() + token.text.size())
          failAt(token, "value " + token.text + " is out of range for u64");
        tensor.setInt(i, static_cast<int64_t>(value));
        return;
      }
      int64_t value = integer(token);
      int bits = 8 * static_cast<int>(dtypeSize(dtype));
      int64_t lo = isUnsigned(dtype) ? 0
                   : bits == 64      ? INT64_MIN
                                     : -(int64_t(1) << (bits - 1));
      int64_t hi = bits == 64 ? INT64_MAX
                   : isUnsigned(dtype) ? (int64_t(1) << bits) - 1
                                       : (int64_t(1) << (bits - 1)) - 1;
      if (value < lo || value > hi)
        failAt(token, "value " + token.text + " is out of range for " +
                          std::string(dtypeName(dtype)));
      tensor.setInt(i, value);
    }
  }

  /// One dimension: `?`, or a size expression (docs/IR.md):
  ///   sum     ::= product (('+' | '-') product)*
  ///   product ::= factor (('*' | '/') factor)*
  ///   factor  ::= INT | SYMBOL | '?'SYMBOL | '-' factor | '(' sum ')'
  ///             | ('min' | 'max' | 'mod' | 'ceildiv') '(' sum ',' sum ')'
  Dim dim() {
    if (accept(Tok::Question))
      return Dim::unknown();
    Token at = tok_;
    SymExpr expr = dimSum();
    if (!expr.valid())
      failAt(at, "dimension expression is too large or overflows");
    if (expr.isConstant() && (expr.constant() < 0 || expr.constant() > kMaxDimSize))
      failAt(at, "dimension " + expr.str() + " is out of range (0 to 2^40)");
    return Dim::fromExpr(expr);
  }

  SymExpr dimSum() {
    SymExpr expr = dimProduct(dimFactor());
    while (true) {
      if (accept(Tok::Plus)) {
        expr = expr + dimProduct(dimFactor());
      } else if (accept(Tok::Minus)) {
        expr = expr - dimProduct(dimFactor());
      } else if (tok_.kind == Tok::Int && tok_.text[0] == '-') {
        // `H-3` lexes as H and -3.
        SymExpr value(integer(tok_));
        advance();
        expr = expr + dimProduct(value);
      } else {
        return expr;
      }
    }
  }

  SymExpr dimProduct(SymExpr expr) {
    while (true) {
      if (accept(Tok::Star))
        expr = expr * dimFactor();
      else if (tok_.kind == Tok::Slash) {
        advance();
        Token at = tok_;
        SymExpr divisor = dimFactor();
        if (divisor.isConstant() && divisor.constant() <= 0)
          failAt(at, "division of a dimension by " + divisor.str());
        expr = SymExpr::floorDiv(expr, divisor);
      }
      else
        return expr;
    }
  }

  SymExpr dimFactor() {
    if (tok_.kind == Tok::Int) {
      SymExpr value(integer(tok_));
      advance();
      return value;
    }
    if (accept(Tok::Minus))
      return -dimFactor();
    if (accept(Tok::LParen)) {
      SymExpr inner = dimSum();
      expect(Tok::RParen, "')' in the dimension expression");
      return inner;
    }
    if (tok_.kind == Tok::DataSymbol) {
      SymExpr symbol = SymExpr::symbol(tok_.text, /*dataDependent=*/true);
      advance();
      return symbol;
    }
    if (tok_.kind == Tok::Ident) {
      std::string name = tok_.text;
      advance();
      bool function = name == "min" || name == "max" || name == "mod" || name == "ceildiv";
      if (!function || !accept(Tok::LParen))
        return SymExpr::symbol(name);
      SymExpr a = dimSum();
      expect(Tok::Comma, "',' between the operands of " + name);
      SymExpr b = dimSum();
      expect(Tok::RParen, "')' after the operands of " + name);
      return name == "min"   ? SymExpr::min(a, b)
             : name == "max" ? SymExpr::max(a, b)
             : name == "mod" ? SymExpr::mod(a, b)
                             : SymExpr::ceilDiv(a, b);
    }
    fail("expected a dimension (integer, symbol, expression or '?'), got " +
         describe(tok_));
  }

  /// `external<type "path" offset>`: reads the bytes from a side file.
  Weight externalTensor(std::string name) {
    expectKeyword("external");
    expect(Tok::Less, "'<' after 'external'");
    Token at = tok_;
    TensorType tensorType = type();
    int64_t bytes = checkedPayload(at, tensorType);
    Token pathToken = expect(Tok::String, "the data file's path");
    Token offsetToken = expect(Tok::Int, "the byte offset in the data file");
    int64_t offset = integer(offsetToken);
    if (offset < 0)
      failAt(offsetToken, "offset must not be negative");
    expect(Tok::Greater, "'>' to close 'external'");

    std::string error;
    std::optional<std::vector<uint8_t>> data =
        readExternalData(file_, pathToken.text, offset, bytes, error);
    if (!data)
      failAt(pathToken, error);
    return Weight{std::move(name),
                  std::make_shared<Tensor>(tensorType, std::move(*data)),
                  ExternalData{pathToken.text, offset}};
  }

  // --- Module items -----------------------------------------------------
  void weight() {
    expectKeyword("weight");
    Token name = expect(Tok::Symbol, "a weight name such as @w");
    if (module_->weight(name.text))
      failAt(name, "redefinition of weight '@" + name.text + "'");
    expect(Tok::Equal, "'=' after the weight name");
    if (isKeyword("external")) {
      module_->addWeight(externalTensor(name.text));
    } else if (isKeyword("dense") || isKeyword("elided")) {
      module_->addWeight(Weight{name.text, denseTensor(), std::nullopt});
    } else {
      fail("expected 'dense' or 'external', got " + describe(tok_));
    }
  }

  void topGraph() {
    expectKeyword("graph");
    Token name = expect(Tok::Symbol, "a graph name such as @main");
    if (module_->graph(name.text))
      failAt(name, "redefinition of graph '@" + name.text + "'");
    body(*module_->addGraph(name.text));
  }

  // --- Graph bodies -----------------------------------------------------
  void body(Graph &graph) {
    if (++depth_ > kMaxNesting)
      fail("graphs nested more than " + std::to_string(kMaxNesting) +
           " deep");
    scopes_.emplace_back();
    expect(Tok::LParen, "'(' to open the graph's inputs");
    if (tok_.kind != Tok::RParen) {
      do {
        Token name = expect(Tok::Value, "an input name such as %x");
        expect(Tok::Colon, "':' after the input name");
        define(name, graph.addInput(type()));
      } while (accept(Tok::Comma));
    }
    expect(Tok::RParen, "',' or ')' after the graph's inputs");
    std::optional<std::vector<std::string>> names;
    Token arrow = tok_;
    if (accept(Tok::Minus)) {
      if (depth_ > 1)
        failAt(arrow, "only a top-level graph names its results; a nested graph's results "
                      "are its node's");
      expect(Tok::Greater, "'>' after '-' (the result names follow '->')");
      expect(Tok::LParen, "'(' to open the graph's result names");
      names.emplace();
      if (tok_.kind != Tok::RParen) {
        do
          names->push_back(expect(Tok::String, "a result name such as \"y\"").text);
        while (accept(Tok::Comma));
      }
      expect(Tok::RParen, "',' or ')' after the graph's result names");
    }
    expect(Tok::LBrace, "'{' to open the graph body");
    while (!isKeyword("return")) {
      if (tok_.kind == Tok::Eof || tok_.kind == Tok::RBrace)
        fail("expected a node or 'return', got " + describe(tok_));
      node(graph);
    }
    advance(); // return
    std::vector<Value *> outputs;
    if (tok_.kind == Tok::Value) {
      do
        outputs.push_back(use());
      while (accept(Tok::Comma));
    }
    if (names && names->size() != outputs.size())
      failAt(arrow, "the graph names " + std::to_string(names->size()) +
                        " results but returns " + std::to_string(outputs.size()));
    graph.setOutputs(std::move(outputs), names.value_or(std::vector<std::string>{}));
    expect(Tok::RBrace, "'}' after 'return'");
    scopes_.pop_back();
    --depth_;
  }

  void define(const Token &name, Value *value) {
    Scope &scope = scopes_.back();
    if (scope.count(name.text))
      failAt(name, "redefinition of value '%" + name.text + "'");
    scope[name.text] = value;
    bool numeric = !name.text.empty() &&
                   name.text.find_first_not_of("0123456789") ==
                       std::string::npos;
    if (!numeric || name.quoted)
      value->setName(name.text);
  }

  Value *use() {
    Token name = expect(Tok::Value, "a value such as %x");
    const Scope &scope = scopes_.back();
    auto it = scope.find(name.text);
    if (it != scope.end())
      return it->second;
    for (size_t i = 0; i + 1 < scopes_.size(); ++i)
      if (scopes_[i].count(name.text))
        failAt(name, "value '%" + name.text +
                         "' belongs to an enclosing graph; pass it in as a "
                         "capture");
    failAt(name, "use of undefined value '%" + name.text + "'");
  }

  std::vector<Value *> valueList(std::string_view closing) {
    std::vector<Value *> values;
    if (tok_.kind != Tok::RParen) {
      do
        values.push_back(use());
      while (accept(Tok::Comma));
    }
    expect(Tok::RParen, closing);
    return values;
  }

  void node(Graph &graph) {
    Location location = here();
    std::vector<Token> resultNames;
    if (tok_.kind == Tok::Value) {
      do
        resultNames.push_back(expect(Tok::Value, "a result name"));
      while (accept(Tok::Comma));
      expect(Tok::Equal, "'=' after the result names");
    }
    Token opToken = expect(Tok::Ident, "an op name");
    const OpDef *def = lookupOp(opToken.text);
    if (!def)
      failAt(opToken, "unknown op '" + opToken.text + "'");
    expect(Tok::LParen, "'(' after the op name");
    std::vector<Value *> operands = valueList("',' or ')' after the operands");
    std::vector<Value *> captures;
    if (isKeyword("captures")) {
      advance();
      expect(Tok::LParen, "'(' after 'captures'");
      captures = valueList("',' or ')' after the captures");
    }
    std::map<std::string, Attribute, std::less<>> attrs;
    if (tok_.kind == Tok::LBrace)
      attrDict(attrs);
    expect(Tok::Colon, "':' and the result types");
    std::vector<TensorType> types;
    if (accept(Tok::LParen)) {
      expect(Tok::RParen, "')' (a node with no results has type '()')");
    } else {
      do
        types.push_back(type());
      while (accept(Tok::Comma));
    }
    if (types.size() != resultNames.size())
      failAt(opToken, "'" + opToken.text + "' names " +
                          std::to_string(resultNames.size()) +
                          " results but lists " + std::to_string(types.size()) +
                          " result types");
    Node *node = graph.addNode(*def, std::move(operands), std::move(types),
                               std::move(attrs), std::move(captures),
                               std::move(location));
    for (size_t i = 0; i < resultNames.size(); ++i)
      define(resultNames[i], node->result(i));
  }

  void attrDict(std::map<std::string, Attribute, std::less<>> &attrs) {
    expect(Tok::LBrace, "'{'");
    if (tok_.kind != Tok::RBrace) {
      do {
        Token name = expect(Tok::Ident, "an attribute name");
        if (attrs.count(name.text))
          failAt(name, "attribute '" + name.text + "' given twice");
        expect(Tok::Equal, "'=' after the attribute name");
        attrs.emplace(name.text, attribute());
      } while (accept(Tok::Comma));
    }
    expect(Tok::RBrace, "',' or '}' in the attributes");
  }

  Attribute attribute() {
    switch (tok_.kind) {
    case Tok::Int: {
      int64_t value = integer(tok_);
      advance();
      return Attribute(value);
    }
    case Tok::Float: {
      double value = floating(tok_);
      advance();
      return Attribute(value);
    }
    case Tok::String: {
      std::string value = tok_.text;
      advance();
      return Attribute(std::move(value));
    }
    case Tok::LBracket: return list();
    case Tok::Ident:
      if (tok_.text == "dense" || tok_.text == "elided")
        return Attribute(denseTensor());
      if (tok_.text == "graph") {
        advance();
        auto graph = std::make_unique<Graph>();
        body(*graph);
        return Attribute(std::move(graph));
      }
      if (tok_.text == "f64") {
        advance();
        expect(Tok::LBracket, "'[' after f64");
        expect(Tok::RBracket, "']' (f64[] is the empty float list)");
        return Attribute(std::vector<double>{});
      }
      break;
    default: break;
    }
    fail("expected an attribute value, got " + describe(tok_));
  }

  /// `[1, 2]` is an int list, `[1.0, 2]` a float list (any float element).
  Attribute list() {
    expect(Tok::LBracket, "'['");
    std::vector<Token> elements;
    bool anyFloat = false;
    if (tok_.kind != Tok::RBracket) {
      do {
        if (tok_.kind != Tok::Int && tok_.kind != Tok::Float)
          fail("expected a number in the list, got " + describe(tok_));
        anyFloat |= tok_.kind == Tok::Float;
        elements.push_back(tok_);
        advance();
      } while (accept(Tok::Comma));
    }
    expect(Tok::RBracket, "',' or ']' in the list");
    if (anyFloat) {
      std::vector<double> values;
      for (const Token &token : elements)
        values.push_back(token.kind == Tok::Float
                             ? floating(token)
                             : static_cast<double>(integer(token)));
      return Attribute(std::move(values));
    }
    std::vector<int64_t> values;
    for (const Token &token : elements)
      values.push_back(integer(token));
    return Attribute(std::move(values));
  }

  Lexer lexer_;
  const std::string &file_;
  Token tok_;
  Module *module_ = nullptr;
  std::vector<Scope> scopes_;
  int depth_ = 0;
};

} // namespace

std::unique_ptr<Module> parseModule(std::string_view text,
                                    const std::string &filename,
                                    Diagnostics &diag) {
  try {
    return Parser(text, filename).module();
  } catch (const ParseError &error) {
    (void)diag.error(error.location, error.message);
    return nullptr;
  }
}

std::unique_ptr<Module> parseModuleFile(const std::string &path,
                                        Diagnostics &diag) {
  auto fail = [&](std::string message) -> std::unique_ptr<Module> {
    (void)diag.error(Location::fileLine(path, 0, 0), std::move(message));
    return nullptr;
  };
  std::string text;
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
  } else {
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
      return fail("is a directory, expected a .dlir file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return fail(std::string("cannot open file: ") + std::strerror(errno));
    auto size = std::filesystem::file_size(path, error);
    if (!error && static_cast<int64_t>(size) > kMaxTextBytes)
      return fail("file is larger than 1 GiB; keep large weights in "
                  "external data");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (static_cast<int64_t>(text.size()) > kMaxTextBytes)
    return fail("input is larger than 1 GiB");
  return parseModule(text, path, diag);
}

} // namespace dlc
