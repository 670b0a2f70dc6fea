// The magic variables of a configuration file (uWSGI's %d, %n, %p, ...).
// Internal to engine/config; ExpandVariables is in parse_context.h.
#ifndef SUBHOST_ENGINE_CONFIG_EXPAND_H_
#define SUBHOST_ENGINE_CONFIG_EXPAND_H_

#include <string>
#include <string_view>
#include <vector>

namespace subhost::config {

struct MagicFacts {
  std::string path;                    // %p: absolute path of the file
  std::string dir;                     // %d: its directory, with a trailing '/'
  std::string filename;                // %s
  std::string stem;                    // %n: the name without its extension
  std::string extension;               // %e: without the dot
  std::string dir_name;                // %c: the name of the directory
  std::vector<std::string> dir_parts;  // %0..%9: the directory's components
  std::string section_id;              // %x: "file.ini:section"
  std::string first_file;              // %o: the first file loaded, as given

  static MagicFacts ForFile(const std::string& path, const std::string& section,
                            const std::string& first_file);
};

// Expands magic variables; "%(" and unknown letters stay as written.
std::string ExpandMagic(std::string_view value, const MagicFacts& facts);

}  // namespace subhost::config

#endif  // SUBHOST_ENGINE_CONFIG_EXPAND_H_
