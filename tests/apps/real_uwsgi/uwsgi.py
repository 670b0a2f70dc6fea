# Stands for a real uwsgi module on sys.path: subhost must not shadow it.
REAL = True
