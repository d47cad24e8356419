//===- KernelChoice.cpp - Kernel choices measured on this CPU -------------===//

#include "native/KernelChoice.h"

#include <cpuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dlrt::native {

std::string cacheDirectory() {
  if (const char *dir = std::getenv("DLC_CACHE_DIR"))
    return std::string(dir) == "off" ? "" : dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/dlc";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/dlc";
  return "";
}

std::string cpuKey() {
  unsigned regs[12] = {};
  std::string brand;
  unsigned top = __get_cpuid_max(0x80000000, nullptr);
  if (top >= 0x80000004) {
    for (unsigned leaf = 0; leaf < 3; ++leaf)
      __get_cpuid(0x80000002 + leaf, &regs[4 * leaf], &regs[4 * leaf + 1], &regs[4 * leaf + 2],
                  &regs[4 * leaf + 3]);
    brand.assign(reinterpret_cast<const char *>(regs), sizeof(regs));
    brand.resize(std::strlen(brand.c_str()));
  }
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  unsigned family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf, stepping = eax & 0xf;
  if (family == 0xf)
    family += (eax >> 20) & 0xff;
  if (family >= 6)
    model += ((eax >> 16) & 0xf) << 4;
  std::string key;
  for (char ch : brand.empty() ? std::string("unknown") : brand) {
    bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (plain)
      key += ch;
    else if (!key.empty() && key.back() != '-')
      key += '-';
  }
  while (!key.empty() && key.back() == '-')
    key.pop_back();
  char suffix[64];
  std::snprintf(suffix, sizeof(suffix), "-f%u-m%u-s%u-%s", family, model, stepping,
                __builtin_cpu_supports("avx512f") ? "avx512" : "avx2");
  return key + suffix;
}

const std::vector<int64_t> &gemmChoiceSizes() {
  static const std::vector<int64_t> sizes = {512, 768, 1024, 1536};
  return sizes;
}

int64_t chooseOpenblasFrom(const std::vector<std::vector<double>> &timings) {
  int64_t from = 0;
  for (auto it = timings.rbegin(); it != timings.rend(); ++it) {
    const std::vector<double> &t = *it;
    if (t.size() != 3 || !(t[2] * 1.03 < t[1]))
      break;
    from = static_cast<int64_t>(t[0]);
  }
  return from;
}

namespace {

std::string choiceFile(const std::string &dir, const std::string &cpu) {
  return dir + "/gemm-choice-" + cpu + ".txt";
}

/// The cached choice for `cpu`; false if there is none (or it is malformed).
bool readChoice(const std::string &file, const std::string &cpu, GemmChoice &choice) {
  std::ifstream in(file);
  std::string line;
  bool sameCpu = false, haveChoice = false;
  while (std::getline(in, line)) {
    if (line.rfind("cpu=", 0) == 0) {
      sameCpu = line.substr(4) == cpu;
    } else if (line.rfind("openblas_from=", 0) == 0) {
      char *end = nullptr;
      long long value = std::strtoll(line.c_str() + 14, &end, 10);
      haveChoice = end && *end == '\0' && value >= 0;
      choice.openblasFrom = value;
    }
  }
  return sameCpu && haveChoice;
}

} // namespace

GemmChoice loadOrMeasureGemmChoice(const std::string &dir, const std::string &cpu,
                                   const std::function<double(int64_t, bool)> &time) {
  GemmChoice choice;
  choice.cpu = cpu;
  std::string file = dir.empty() ? "" : choiceFile(dir, cpu);
  if (!file.empty() && readChoice(file, cpu, choice)) {
    choice.origin = file;
    return choice;
  }
  for (int64_t size : gemmChoiceSizes())
    choice.timings.push_back({double(size), time(size, false), time(size, true)});
  choice.openblasFrom = chooseOpenblasFrom(choice.timings);
  choice.origin = "measured";
  if (file.empty())
    return choice;
  std::ostringstream text;
  text << "# dlc's matmul kernel choice, measured on this CPU: products with every dim >= "
          "openblas_from run on OpenBLAS (0: none)\n";
  for (const std::vector<double> &t : choice.timings)
    text << "# " << int64_t(t[0]) << "^3: dlc " << t[1] << " ms, OpenBLAS " << t[2] << " ms\n";
  text << "cpu=" << cpu << "\nopenblas_from=" << choice.openblasFrom << "\n";
  std::string temporary = file + ".tmp" + std::to_string(getpid());
  for (size_t slash = dir.find('/', 1); ; slash = dir.find('/', slash + 1)) {
    ::mkdir(dir.substr(0, slash).c_str(), 0755); // existing ones: EEXIST
    if (slash == std::string::npos)
      break;
  }
  {
    std::ofstream out(temporary);
    out << text.str();
    if (!out.good()) {
      std::remove(temporary.c_str());
      return choice; // a cache that cannot be written: measured each run
    }
  }
  if (std::rename(temporary.c_str(), file.c_str()) != 0)
    std::remove(temporary.c_str());
  return choice;
}

} // namespace dlrt::native
