"""subhost's bootstrap, run in each interpreter before its app loads.

Embedded in the library at build time (engine/python/app_loader.cpp runs it
with PyRun_String); kept in Python because it is import machinery. It is run
as the module `_subhost_boot`: prepare() sets the interpreter up, load()
imports an app.
"""
import sys, os

def prepare(python_path, virtualenv, blocked, environ):
    if environ is not None:
        # os.environ starts as the process environment from before any app
        # ran, not as whatever earlier mounts put there: two Django sites
        # each setdefault() their own DJANGO_SETTINGS_MODULE. Only this
        # interpreter's view changes (no putenv).
        data = os.environ._data
        data.clear()
        for k, v in environ:
            data[os.environ.encodekey(k)] = os.environ.encodevalue(v)
    for p in reversed(python_path):
        p = os.path.abspath(p)
        if p not in sys.path:
            sys.path.insert(0, p)
    if virtualenv:
        import site
        ver = 'python%d.%d' % sys.version_info[:2]
        site.addsitedir(os.path.join(virtualenv, 'lib', ver, 'site-packages'))
    _install_api()
    if blocked:
        sys.meta_path.insert(0, _Blocker(frozenset(blocked)))

class _Blocker:
    """Refuses extensions that share state across interpreters, so that
    their packages fall back to pure Python."""
    def __init__(self, names):
        self.names = names
    def find_spec(self, name, path=None, target=None):
        if name in self.names:
            raise ImportError(
                '%s is not loaded in a sub-interpreter: it shares state '
                'between interpreters (subhost blocked_extensions)' % name,
                name=name)
        return None

# The modules apps import from subhost. Kept as source and made per
# interpreter, like everything else here; they read the process's place in
# the server from _subhost when asked, since a prefork worker only learns it
# after the apps were imported.
_SUBHOST_API = """\
\"\"\"subhost's API for the apps it hosts.

worker_id()       this worker's number, 1..N; 0 in a single-process server
masterpid()       the master's pid; 0 without a master
num_workers()     how many worker processes serve requests (1 without)
interpreter_id()  CPython's id of this interpreter (0: the main one)
mountpoint        the mountpoint of this interpreter's app ('' for the root
                  mount); in the main interpreter, which several mounts may
                  share, that of the app being loaded, else the last loaded
@postfork         run a function in this interpreter in every worker, right
                  after it is forked (or after it loaded its apps)
\"\"\"
import _subhost
from _subhost import (interpreter_id, masterpid, num_workers, postfork,
                      worker_id)

def __getattr__(name):
    if name == 'mountpoint':
        return _subhost.mountpoint()
    raise AttributeError('module %r has no attribute %r' % (__name__, name))

def __dir__():
    return sorted(set(globals()) | {'mountpoint'})
"""

_UWSGI = """\
\"\"\"subhost's stand-in for uWSGI's built-in uwsgi module, for apps
written for uWSGI: worker_id(), masterpid(), numproc, opt.\"\"\"
import _subhost
from _subhost import masterpid, worker_id

# subhost always runs Python threads; libraries that read this (Sentry, New
# Relic) would otherwise believe threads are off and disable their own.
opt = {'enable-threads': True}

def __getattr__(name):
    if name == 'numproc':
        return _subhost.num_workers()
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
"""

_UWSGIDECORATORS = """\
\"\"\"subhost's stand-in for uWSGI's uwsgidecorators: @postfork.\"\"\"
from _subhost import postfork
"""

class _SourceLoader:
    """Makes a module from source held in memory."""
    def __init__(self, source):
        self.source = source
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        code = compile(self.source, '<subhost: %s>' % module.__name__, 'exec')
        exec(code, module.__dict__)

def _make_module(name, source):
    import importlib.util
    spec = importlib.util.spec_from_loader(name, _SourceLoader(source))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

class _UwsgiFallback:
    """Provides uwsgi and uwsgidecorators when no real one can be imported.
    It asks the finders after it first, so a real module always wins; an
    empty namespace package (a stray 'uwsgi/' folder of ini files on the
    path) does not count as one."""
    def __init__(self, sources):
        self.sources = sources
    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in self.sources:
            return None
        import importlib.util
        later = sys.meta_path[sys.meta_path.index(self) + 1:] \
            if self in sys.meta_path else sys.meta_path
        for finder in later:
            find = getattr(finder, 'find_spec', None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None and not _is_namespace(spec):
                return spec
        return importlib.util.spec_from_loader(
            name, _SourceLoader(self.sources[name]))

def _is_namespace(spec):
    return (spec.submodule_search_locations is not None
            and spec.origin in (None, 'namespace'))

def _install_api():
    # subhost is ours: always this one. uwsgi only in want of a real one.
    sys.modules['subhost'] = _make_module('subhost', _SUBHOST_API)
    sys.meta_path.insert(0, _UwsgiFallback(
        {'uwsgi': _UWSGI, 'uwsgidecorators': _UWSGIDECORATORS}))

def _threads():
    import threading
    return threading.enumerate()

def _threads_since(before):
    """The Python threads started since before was taken, other than this
    one and threads made outside Python (threading's dummies), described
    for the fork-safety report."""
    import threading
    me = threading.current_thread()
    dummy = getattr(threading, '_DummyThread', ())
    seen = set(map(id, before))  # before keeps them alive: ids are unique
    return ['%s%s ident=%s' % (t.name, ' daemon' if t.daemon else '', t.ident)
            for t in threading.enumerate()
            if t is not me and id(t) not in seen and not isinstance(t, dummy)]

def _module_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.isidentifier() and stem not in sys.modules:
        return stem
    return 'subhost_file_' + ''.join(c if c.isalnum() else '_' for c in path)

def load(kind, file, module, callable_path):
    # Threads alive before (in the main interpreter, other mounts') are not
    # this app's.
    before = _threads()
    app = _load(kind, file, module, callable_path)
    return app, _threads_since(before)

def _load(kind, file, module, callable_path):
    import importlib, importlib.util, importlib.machinery
    if kind == 'file':
        path = os.path.abspath(file)
        if not os.path.isfile(path):
            raise FileNotFoundError(2, 'No such file', path)
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = _module_name(path)
        loader = importlib.machinery.SourceFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            loader.exec_module(mod)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        where = file
    else:
        # As gunicorn and uWSGI do: modules are found from the working dir.
        if os.getcwd() not in sys.path and '' not in sys.path:
            sys.path.insert(0, os.getcwd())
        mod = importlib.import_module(module)
        where = module
    factory = callable_path.endswith('()')
    obj = mod
    for part in callable_path[:-2 if factory else None].split('.'):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError('%s has no callable %r' % (where, callable_path)) from None
    if factory:
        obj = obj()
    if not callable(obj):
        raise TypeError('%r in %s is not callable (it is %s)'
                        % (callable_path, where, type(obj).__name__))
    return obj
