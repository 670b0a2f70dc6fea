// Test support for the stats renderers: a real JSON parser (CPython's json
// module) that flattens a document into path -> "type value" facts, and a
// strict reader of Prometheus' text format 0.0.4.
#ifndef SUBHOST_TESTS_STATS_STATS_TEST_SUPPORT_H_
#define SUBHOST_TESTS_STATS_STATS_TEST_SUPPORT_H_

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace subhost::testing {

inline std::string MakeTempDir() {
  char tmpl[] = "/tmp/subhost-stats-test-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "/tmp";
}

inline void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// Prints one line per node: path, Python type name, and for scalars the
// value re-encoded by json.dumps (ASCII-only, so the line stays one line);
// objects list their keys in document order, arrays their length. Rejects
// duplicate keys, NaN/Infinity and invalid UTF-8, which json.load alone
// would let through.
inline constexpr char kFlattenScript[] = R"PY(
import json, sys

def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)

def no_constants(name):
    raise ValueError("non-standard constant " + name)

with open(sys.argv[1], "rb") as f:
    text = f.read().decode("utf-8", errors="strict")
doc = json.loads(text, object_pairs_hook=no_duplicates,
                 parse_constant=no_constants)

def walk(path, v):
    if isinstance(v, dict):
        print("%s\tdict\t%s" % (path, ",".join(v.keys())))
        for k, x in v.items():
            walk(path + "." + k, x)
    elif isinstance(v, list):
        print("%s\tlist\t%d" % (path, len(v)))
        for i, x in enumerate(v):
            walk("%s[%d]" % (path, i), x)
    else:
        print("%s\t%s\t%s" % (path, type(v).__name__, json.dumps(v)))

walk("$", doc)
)PY";

// A JSON document as parsed by CPython: At("$.workers[0].requests") is
// "int 10", At("$.cwd") is "str \"/srv\"", At("$") is "dict version,...".
class JsonFacts {
 public:
  static JsonFacts Parse(const std::string& json) {
    JsonFacts facts;
    std::string dir = MakeTempDir();
    WriteTextFile(dir + "/doc.json", json);
    WriteTextFile(dir + "/flatten.py", kFlattenScript);
    std::string cmd = std::string(SUBHOST_TEST_PYTHON) + " " + dir +
                      "/flatten.py " + dir + "/doc.json 2>&1";
    std::string output;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
      int status = ::pclose(p);
      facts.ok_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    std::remove((dir + "/doc.json").c_str());
    std::remove((dir + "/flatten.py").c_str());
    ::rmdir(dir.c_str());
    if (!facts.ok_) {
      facts.error_ = output;
      return facts;
    }
    std::size_t start = 0;
    while (start < output.size()) {
      std::size_t end = output.find('\n', start);
      if (end == std::string::npos) end = output.size();
      std::string line = output.substr(start, end - start);
      std::size_t tab1 = line.find('\t');
      std::size_t tab2 = line.find('\t', tab1 + 1);
      if (tab1 != std::string::npos && tab2 != std::string::npos) {
        facts.facts_[line.substr(0, tab1)] =
            line.substr(tab1 + 1, tab2 - tab1 - 1) + " " +
            line.substr(tab2 + 1);
      }
      start = end + 1;
    }
    return facts;
  }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string At(const std::string& path) const {
    auto it = facts_.find(path);
    return it == facts_.end() ? "<missing " + path + ">" : it->second;
  }

 private:
  bool ok_ = false;
  std::string error_;
  std::map<std::string, std::string> facts_;
};

// A Prometheus text exposition, checked line by line against format 0.0.4:
// HELP/TYPE comments, metric and label names, label value escapes, sample
// values, one TYPE per family before its samples, families not interleaved,
// no duplicate series, histogram buckets cumulative with +Inf equal to
// _count. Every violation is recorded in errors().
class Exposition {
 public:
  static Exposition Parse(const std::string& text) {
    Exposition e;
    if (text.empty() || text.back() != '\n') e.Error(0, "no final newline");
    std::size_t start = 0;
    int line_no = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      e.Line(++line_no, text.substr(start, end - start));
      start = end + 1;
    }
    e.CheckHistograms();
    return e;
  }

  const std::vector<std::string>& errors() const { return errors_; }
  std::string ErrorText() const {
    std::string all;
    for (const auto& err : errors_) all += err + "\n";
    return all;
  }
  bool Has(const std::string& series) const {
    return samples_.count(series) != 0;
  }
  // The value of a series written as name{a=x,b=y} with labels sorted and
  // values unescaped; NaN when absent.
  double Value(const std::string& series) const {
    auto it = samples_.find(series);
    return it == samples_.end() ? std::nan("") : it->second;
  }
  std::string TypeOf(const std::string& family) const {
    auto it = types_.find(family);
    return it == types_.end() ? "" : it->second;
  }
  bool HasHelp(const std::string& family) const {
    return helps_.count(family) != 0;
  }
  std::size_t size() const { return samples_.size(); }

 private:
  using LabelList = std::vector<std::pair<std::string, std::string>>;

  void Error(int line, const std::string& what) {
    errors_.push_back("line " + std::to_string(line) + ": " + what);
  }

  static bool IsMetricName(const std::string& s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '_' || c == ':';
      if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
  }
  static bool IsLabelName(const std::string& s) {
    return IsMetricName(s) && s.find(':') == std::string::npos;
  }

  void Line(int n, const std::string& line) {
    if (line.empty()) {
      Error(n, "blank line");
    } else if (line[0] == '#') {
      Comment(n, line);
    } else {
      SampleLine(n, line);
    }
  }

  void Comment(int n, const std::string& line) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      std::size_t sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      if (!IsMetricName(name)) Error(n, "bad HELP name '" + name + "'");
      if (helps_.count(name)) Error(n, "second HELP for " + name);
      helps_.insert(name);
      std::string doc = sp == std::string::npos ? "" : rest.substr(sp + 1);
      for (std::size_t i = 0; i < doc.size(); ++i) {
        if (doc[i] == '\\' && (i + 1 >= doc.size() ||
                               (doc[i + 1] != '\\' && doc[i + 1] != 'n'))) {
          Error(n, "bad escape in HELP");
        }
        if (doc[i] == '\\') ++i;
      }
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::size_t sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      std::string type = sp == std::string::npos ? "" : rest.substr(sp + 1);
      static const std::set<std::string> kTypes = {
          "counter", "gauge", "histogram", "summary", "untyped"};
      if (!IsMetricName(name)) Error(n, "bad TYPE name '" + name + "'");
      if (!kTypes.count(type)) Error(n, "bad type '" + type + "'");
      if (types_.count(name)) Error(n, "second TYPE for " + name);
      if (sampled_families_.count(name)) {
        Error(n, "TYPE for " + name + " after its samples");
      }
      types_[name] = type;
    }
    // Other comments are allowed and ignored.
  }

  // The family a sample belongs to: its own name, or for histograms and
  // summaries the name without _bucket/_sum/_count.
  std::string FamilyOf(const std::string& name) const {
    if (types_.count(name)) return name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s = suffix;
      if (name.size() > s.size() &&
          name.compare(name.size() - s.size(), s.size(), s) == 0) {
        std::string base = name.substr(0, name.size() - s.size());
        auto it = types_.find(base);
        if (it != types_.end() &&
            (it->second == "histogram" ||
             (it->second == "summary" && s != "_bucket"))) {
          return base;
        }
      }
    }
    return "";
  }

  bool ParseLabels(int n, const std::string& line, std::size_t* i,
                   LabelList* labels) {
    ++*i;  // '{'
    while (*i < line.size() && line[*i] != '}') {
      std::size_t eq = line.find('=', *i);
      if (eq == std::string::npos) return false;
      std::string name = line.substr(*i, eq - *i);
      if (!IsLabelName(name)) Error(n, "bad label name '" + name + "'");
      *i = eq + 1;
      if (*i >= line.size() || line[*i] != '"') return false;
      ++*i;
      std::string value;
      for (;;) {
        if (*i >= line.size()) return false;
        char c = line[(*i)++];
        if (c == '"') break;
        if (c == '\\') {
          if (*i >= line.size()) return false;
          char e = line[(*i)++];
          if (e == '\\')
            value += '\\';
          else if (e == '"')
            value += '"';
          else if (e == 'n')
            value += '\n';
          else
            Error(n, std::string("bad escape \\") + e);
        } else {
          value += c;
        }
      }
      labels->emplace_back(name, value);
      if (*i < line.size() && line[*i] == ',') ++*i;
    }
    if (*i >= line.size()) return false;
    ++*i;  // '}'
    return true;
  }

  static bool ParseValue(const std::string& text, double* out) {
    if (text == "+Inf") {
      *out = INFINITY;
      return true;
    }
    if (text == "-Inf") {
      *out = -INFINITY;
      return true;
    }
    if (text == "NaN") {
      *out = NAN;
      return true;
    }
    if (text.empty()) return false;
    char* end = nullptr;
    *out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
  }

  static std::string SeriesKey(const std::string& name, LabelList labels) {
    std::sort(labels.begin(), labels.end());
    std::string key = name;
    if (!labels.empty()) {
      key += '{';
      for (std::size_t k = 0; k < labels.size(); ++k) {
        if (k > 0) key += ',';
        key += labels[k].first + "=" + labels[k].second;
      }
      key += '}';
    }
    return key;
  }

  void SampleLine(int n, const std::string& line) {
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    std::string name = line.substr(0, i);
    if (!IsMetricName(name)) Error(n, "bad metric name '" + name + "'");
    LabelList labels;
    if (i < line.size() && line[i] == '{' &&
        !ParseLabels(n, line, &i, &labels)) {
      Error(n, "malformed labels");
      return;
    }
    if (i >= line.size() || line[i] != ' ') {
      Error(n, "no space before the value");
      return;
    }
    std::string rest = line.substr(i + 1);
    std::size_t sp = rest.find(' ');
    std::string value_text = rest.substr(0, sp);
    double value = 0;
    if (!ParseValue(value_text, &value)) {
      Error(n, "bad value '" + value_text + "'");
    }
    if (sp != std::string::npos) {
      std::string ts = rest.substr(sp + 1);
      if (ts.empty() ||
          ts.find_first_not_of("-0123456789") != std::string::npos) {
        Error(n, "bad timestamp '" + ts + "'");
      }
    }
    RecordSample(n, name, labels, value);
  }

  void RecordSample(int n, const std::string& name, const LabelList& labels,
                    double value) {
    std::string family = FamilyOf(name);
    if (family.empty()) {
      Error(n, "sample " + name + " has no TYPE");
      family = name;
    }
    if (family != current_family_) {
      if (sampled_families_.count(family)) {
        Error(n, "family " + family + " interleaved with another");
      }
      current_family_ = family;
    }
    sampled_families_.insert(family);
    std::string key = SeriesKey(name, labels);
    if (samples_.count(key)) Error(n, "duplicate series " + key);
    samples_[key] = value;
    if (TypeOf(family) == "histogram")
      HistogramSample(n, family, name, labels, value);
  }

  struct Histogram {
    std::vector<std::pair<double, double>> buckets;  // (le, value), in order
    bool has_sum = false;
    bool has_count = false;
    double count = 0;
  };

  void HistogramSample(int n, const std::string& family,
                       const std::string& name, const LabelList& labels,
                       double value) {
    LabelList rest;
    std::string le;
    bool has_le = false;
    for (const auto& label : labels) {
      if (label.first == "le") {
        le = label.second;
        has_le = true;
      } else {
        rest.push_back(label);
      }
    }
    Histogram& h = histograms_[SeriesKey(family, rest)];
    if (name == family + "_bucket") {
      double bound = 0;
      if (!has_le || !ParseValue(le, &bound)) {
        Error(n, "bucket without a valid le");
        return;
      }
      h.buckets.emplace_back(bound, value);
    } else if (name == family + "_sum") {
      h.has_sum = true;
    } else if (name == family + "_count") {
      h.has_count = true;
      h.count = value;
    } else {
      Error(n, "histogram sample " + name);
    }
  }

  void CheckHistograms() {
    for (const auto& [key, h] : histograms_) {
      if (h.buckets.empty() || !std::isinf(h.buckets.back().first)) {
        Error(0, key + ": no +Inf bucket last");
        continue;
      }
      for (std::size_t k = 1; k < h.buckets.size(); ++k) {
        if (!(h.buckets[k].first > h.buckets[k - 1].first)) {
          Error(0, key + ": le not increasing");
        }
        if (h.buckets[k].second < h.buckets[k - 1].second) {
          Error(0, key + ": buckets not cumulative");
        }
      }
      if (!h.has_sum) Error(0, key + ": no _sum");
      if (!h.has_count) Error(0, key + ": no _count");
      if (h.has_count && h.count != h.buckets.back().second) {
        Error(0, key + ": _count differs from the +Inf bucket");
      }
    }
  }

  std::vector<std::string> errors_;
  std::map<std::string, double> samples_;
  std::map<std::string, std::string> types_;
  std::set<std::string> helps_;
  std::set<std::string> sampled_families_;
  std::string current_family_;
  std::map<std::string, Histogram> histograms_;
};

}  // namespace subhost::testing

#endif  // SUBHOST_TESTS_STATS_STATS_TEST_SUPPORT_H_
