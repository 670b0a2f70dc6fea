// Parsing of mount specifications: a mountpoint ("/api") and a target naming
// the WSGI callable to serve there ("app.py", "pkg.mod:create_app()").
//
// Thread contract: free functions with no shared state; safe from any thread.
#ifndef SUBHOST_MOUNTS_MOUNT_SPEC_H_
#define SUBHOST_MOUNTS_MOUNT_SPEC_H_

#include <string>
#include <string_view>

namespace subhost::mounts {

// Canonical mountpoint: "" for the root (given as "" or "/"), otherwise a
// leading '/' and no trailing '/', e.g. "/api", "/a/b". A single trailing '/'
// in the input is dropped ("/api/" -> "/api"). Returns false and sets *error
// (one line, naming the offending part) for input that does not start with
// '/', contains "//", a "." or ".." segment, '?', '#', '%' (mountpoints match
// decoded paths, so an escape could never match), whitespace or control
// characters. *out is written only on success; error may be null.
bool NormalizeMountpoint(std::string_view in, std::string* out,
                         std::string* error);

struct MountTarget {
  enum class Kind { kFile, kModule };
  Kind kind = Kind::kModule;
  // kFile: the path as given ("app.py", "dir/app.wsgi").
  std::string file;
  // kModule: a dotted module name ("pkg.mod").
  std::string module;
  // Attribute path in the file or module ("application", "app.wsgi_app"); a
  // trailing "()" ("make_app()") means: call this factory, serve its result.
  std::string callable;
};

// True when callable ends in "()", i.e. names a factory to call once.
bool IsFactoryCallable(std::string_view callable);

// Accepted forms:
//   "app.py", "x/y.wsgi"   a file: contains '/', ends in ".py", or ends in
//                          ".wsgi" but is not a dotted identifier
//   "app.py:callable"      a file and the callable in it
//   "pkg.mod"              a module; the callable is default_callable
//   "pkg.mod:callable"     a module and the callable in it
//   "pkg.mod:create_app()" a module and a factory returning the callable
// "pkg.wsgi" is the module pkg.wsgi (Django's "mysite.wsgi:application"), so
// a mod_wsgi-style file in the working directory is written "./app.wsgi".
// The callable follows the last ':'. Module names are dotted ASCII Python
// identifiers; a callable is a dotted identifier optionally followed by "()".
// default_callable must be a valid callable too. Returns false and sets *error
// (one line, naming the offending part) otherwise. *out is written only on
// success; error may be null.
bool ParseTarget(std::string_view target, std::string_view default_callable,
                 MountTarget* out, std::string* error);

struct MountSpec {
  std::string mountpoint;  // Canonical, see NormalizeMountpoint.
  MountTarget target;
  std::string target_text;  // The target as given, for logs and MountInfo.
};

// "/x=app.py", "/=hello.py", "/api=pkg.wsgi:app": the mountpoint is the text
// before the first '=', the target the text after it. Text without '=' is a
// root mount of the whole text ("app.py" means "/=app.py"), as uWSGI's
// --wsgi-file. Returns false and sets *error (one line, quoting the spec and
// naming the offending part) for an invalid mountpoint or target. *out is
// written only on success; error may be null.
bool ParseMountSpec(std::string_view spec, std::string_view default_callable,
                    MountSpec* out, std::string* error);

}  // namespace subhost::mounts

#endif  // SUBHOST_MOUNTS_MOUNT_SPEC_H_
