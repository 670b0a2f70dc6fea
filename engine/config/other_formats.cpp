// uWSGI's --json, --yaml and --xml configuration files. subhost reads ini
// files only; rather than a parse error, it shows the same configuration in
// ini form so that moving it over is a copy and paste.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NamedNodeMap.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SAX/InputSource.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "engine/config/parse_context.h"
#include "engine/config/values.h"

namespace subhost::config {

namespace {

// "name:section" selects a section, as uWSGI's loaders allow.
void SplitSection(const std::string& spec, std::string* path,
                  std::string* section) {
  std::size_t colon = spec.rfind(':');
  std::ifstream probe(spec);
  if (!probe && colon != std::string::npos &&
      spec.find('/', colon) == std::string::npos) {
    *path = spec.substr(0, colon);
    *section = spec.substr(colon + 1);
  } else {
    *path = spec;
  }
}

void AddLine(std::string* ini, std::string_view key, std::string_view value) {
  fmt::format_to(std::back_inserter(*ini), "{} = {}\n", key, value);
}

std::string JsonScalar(const Poco::Dynamic::Var& v) {
  if (v.isBoolean()) return v.extract<bool>() ? "true" : "false";
  return v.convert<std::string>();
}

bool JsonAsIni(const std::string& text, const std::string& section,
               std::string* ini, std::string* error) {
  Poco::JSON::Parser parser;
  Poco::Dynamic::Var root = parser.parse(text);
  auto top = root.extract<Poco::JSON::Object::Ptr>();
  auto body = top->getObject(section);
  if (!body) {
    *error = fmt::format("no \"{}\" object at the top", section);
    return false;
  }
  for (const auto& [key, value] : *body) {
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
      for (const auto& item : *value.extract<Poco::JSON::Array::Ptr>()) {
        AddLine(ini, key, JsonScalar(item));
      }
    } else {
      AddLine(ini, key, JsonScalar(value));
    }
  }
  return true;
}

bool XmlAsIni(const std::string& text, const std::string& section,
              std::string* ini, std::string* error) {
  Poco::XML::DOMParser parser;
  Poco::AutoPtr<Poco::XML::Document> doc = parser.parseString(text);
  Poco::XML::Element* root = doc->documentElement();
  Poco::XML::Element* body = nullptr;
  if (section.empty() && root->nodeName() == "uwsgi") {
    body = root;
  } else {
    Poco::AutoPtr<Poco::XML::NodeList> stanzas =
        doc->getElementsByTagName("uwsgi");
    for (unsigned long i = 0; i < stanzas->length(); ++i) {
      auto* e = static_cast<Poco::XML::Element*>(stanzas->item(i));
      if (section.empty() || e->getAttribute("id") == section) {
        body = e;
        break;
      }
    }
  }
  if (body == nullptr) {
    *error = section.empty() ? std::string("no <uwsgi> element")
                             : fmt::format("no <uwsgi id=\"{}\">", section);
    return false;
  }
  for (Poco::XML::Node* n = body->firstChild(); n != nullptr;
       n = n->nextSibling()) {
    if (n->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    std::string value(Trim(n->innerText()));
    AddLine(ini, n->nodeName(), value.empty() ? "true" : value);
  }
  return true;
}

// The YAML uWSGI reads: a top-level "uwsgi:" (or section) mapping of
// "key: value" lines, a key repeated or given a "- item" list. Read by hand:
// Poco has no YAML parser and Debian's libyaml-cpp would be a dependency for
// this one error message; uWSGI's own reader takes no more than this shape.
bool YamlAsIni(const std::string& text, const std::string& section,
               std::string* ini, std::string* error) {
  std::istringstream in(text);
  bool inside = false, found = false;
  std::string list_key;
  for (std::string line; std::getline(in, line);) {
    std::string_view t = Trim(line);
    if (t.empty() || t.front() == '#') continue;
    bool indented = line.front() == ' ' || line.front() == '\t';
    if (!indented) {
      inside = t == section + ":";
      found = found || inside;
      list_key.clear();
      continue;
    }
    if (!inside) continue;
    if (t.starts_with("- ") && !list_key.empty()) {
      AddLine(ini, list_key, Trim(t.substr(2)));
      continue;
    }
    std::size_t colon = t.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = Trim(t.substr(0, colon));
    std::string_view value = Trim(t.substr(colon + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty()) {
      list_key = std::string(key);
      continue;
    }
    list_key.clear();
    AddLine(ini, key, value);
  }
  if (!found) {
    *error = fmt::format("no top-level \"{}:\"", section);
    return false;
  }
  return true;
}

}  // namespace

bool OtherFormatAsIni(const std::string& spec, std::string* ini,
                      std::string* error) {
  std::string path, section;
  SplitSection(spec, &path, &section);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format(
        "{}: cannot read it, and subhost reads ini files "
        "only (--ini FILE)",
        path);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string detail;
  std::string body;
  bool ok = false;
  try {
    if (path.ends_with(".json") || path.ends_with(".js")) {
      ok = JsonAsIni(ss.str(), section.empty() ? "uwsgi" : section, &body,
                     &detail);
    } else if (path.ends_with(".xml")) {
      ok = XmlAsIni(ss.str(), section, &body, &detail);
    } else {
      ok = YamlAsIni(ss.str(), section.empty() ? "uwsgi" : section, &body,
                     &detail);
    }
  } catch (const Poco::Exception& e) {
    detail = e.displayText();
  } catch (const std::exception& e) {
    detail = e.what();
  }
  if (!ok) {
    *error = fmt::format(
        "{}: subhost reads ini files only, and this file "
        "could not be shown in ini form: {}",
        path, detail);
    return false;
  }
  *ini = fmt::format("[uwsgi]\n{}", body);
  return true;
}

}  // namespace subhost::config
