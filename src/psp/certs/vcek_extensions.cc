#include "psp/certs/vcek_extensions.h"

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

#include "common/error.h"
#include "psp/certs/ossl.h"

namespace cbit::psp {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using IntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using StrPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING, ASN1_STRING_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

uint8_t parse_u8(ByteSpan v, std::string_view what, const char* oid) {
  const unsigned char* p = v.data();
  IntPtr i(d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(v.size())));
  uint64_t value = 0;
  if (!i || p != v.data() + v.size() || ASN1_INTEGER_get_uint64(&value, i.get()) != 1 ||
      value > 255) {
    openssl_error();
    throw InputError(fmt::format("{}: extension {} is not a DER INTEGER 0..255", what, oid));
  }
  return static_cast<uint8_t>(value);
}

std::string parse_ia5(ByteSpan v, std::string_view what, const char* oid) {
  const unsigned char* p = v.data();
  StrPtr s(d2i_ASN1_IA5STRING(nullptr, &p, static_cast<long>(v.size())));
  if (!s || p != v.data() + v.size()) {
    openssl_error();
    throw InputError(fmt::format("{}: extension {} is not a DER IA5String", what, oid));
  }
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s.get())),
                     static_cast<size_t>(ASN1_STRING_length(s.get())));
}

// AMD's KDS writes the 64-byte hwID without a tag (go-sev-guest kds.go notes this); a
// DER OCTET STRING is accepted too, as snpguest does.
Bytes parse_hwid(ByteSpan v, std::string_view what) {
  if (v.size() == 64 || v.size() == 8) return Bytes(v.begin(), v.end());
  const unsigned char* p = v.data();
  StrPtr s(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(v.size())));
  if (!s || p != v.data() + v.size()) {
    openssl_error();
    throw InputError(fmt::format(
        "{}: extension {} (hwID) is neither 64 raw bytes nor a DER OCTET STRING", what, kOidHwid));
  }
  const uint8_t* d = ASN1_STRING_get0_data(s.get());
  return Bytes(d, d + ASN1_STRING_length(s.get()));
}

Bytes der_integer(uint8_t v) {
  IntPtr i(ASN1_INTEGER_new());
  ossl_check(i && ASN1_INTEGER_set_uint64(i.get(), v) == 1, "VCEK extension: INTEGER");
  const int len = i2d_ASN1_INTEGER(i.get(), nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_ASN1_INTEGER(i.get(), &p);
  return out;
}

Bytes der_ia5(const std::string& s) {
  StrPtr str(ASN1_IA5STRING_new());
  ossl_check(str && ASN1_STRING_set(str.get(), s.data(), static_cast<int>(s.size())) == 1,
             "VCEK extension: IA5String");
  const int len = i2d_ASN1_IA5STRING(str.get(), nullptr);
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_ASN1_IA5STRING(str.get(), &p);
  return out;
}

void add_raw(X509* cert, const char* oid, const Bytes& value) {
  ObjPtr obj(OBJ_txt2obj(oid, 1));
  StrPtr data(ASN1_OCTET_STRING_new());
  ossl_check(obj && data &&
                 ASN1_OCTET_STRING_set(data.get(), value.data(), static_cast<int>(value.size())),
             "VCEK extension: value");
  ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 0, data.get()));
  ossl_check(ext && X509_add_ext(cert, ext.get(), -1) == 1, "VCEK extension: add");
}

}  // namespace

TcbVersion VcekExtensions::tcb() const {
  TcbVersion t;
  t.fmc = fmc_spl;
  t.bootloader = bl_spl.value_or(0);
  t.tee = tee_spl.value_or(0);
  t.snp = snp_spl.value_or(0);
  t.microcode = ucode_spl.value_or(0);
  return t;
}

VcekExtensions read_vcek_extensions(const X509* cert, std::string_view what) {
  VcekExtensions out;
  const int n = X509_get_ext_count(cert);
  for (int i = 0; i < n; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    char oid[80] = {};
    if (OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1) <= 0) continue;
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    const ByteSpan v(ASN1_STRING_get0_data(data), static_cast<size_t>(ASN1_STRING_length(data)));
    const std::string_view id(oid);
    if (id == kOidStructVersion)
      out.struct_version = parse_u8(v, what, kOidStructVersion);
    else if (id == kOidProductName)
      out.product_name = parse_ia5(v, what, kOidProductName);
    else if (id == kOidBlSpl)
      out.bl_spl = parse_u8(v, what, kOidBlSpl);
    else if (id == kOidTeeSpl)
      out.tee_spl = parse_u8(v, what, kOidTeeSpl);
    else if (id == kOidSnpSpl)
      out.snp_spl = parse_u8(v, what, kOidSnpSpl);
    else if (id == kOidUcodeSpl)
      out.ucode_spl = parse_u8(v, what, kOidUcodeSpl);
    else if (id == kOidFmcSpl)
      out.fmc_spl = parse_u8(v, what, kOidFmcSpl);
    else if (id == kOidHwid)
      out.hwid = parse_hwid(v, what);
    else if (id == kOidCspId)
      out.csp_id = parse_ia5(v, what, kOidCspId);
  }
  return out;
}

void add_vcek_extensions(X509* cert, const VcekExtensions& e) {
  if (e.struct_version) add_raw(cert, kOidStructVersion, der_integer(*e.struct_version));
  if (e.product_name) add_raw(cert, kOidProductName, der_ia5(*e.product_name));
  if (e.bl_spl) add_raw(cert, kOidBlSpl, der_integer(*e.bl_spl));
  if (e.tee_spl) add_raw(cert, kOidTeeSpl, der_integer(*e.tee_spl));
  for (const char* reserved : {"1.3.6.1.4.1.3704.1.3.4", "1.3.6.1.4.1.3704.1.3.5",
                               "1.3.6.1.4.1.3704.1.3.6", "1.3.6.1.4.1.3704.1.3.7"})
    add_raw(cert, reserved, der_integer(0));
  if (e.snp_spl) add_raw(cert, kOidSnpSpl, der_integer(*e.snp_spl));
  if (e.ucode_spl) add_raw(cert, kOidUcodeSpl, der_integer(*e.ucode_spl));
  if (e.fmc_spl) add_raw(cert, kOidFmcSpl, der_integer(*e.fmc_spl));
  if (e.hwid) add_raw(cert, kOidHwid, *e.hwid);
  if (e.csp_id) add_raw(cert, kOidCspId, der_ia5(*e.csp_id));
}

}  // namespace cbit::psp
