/* A small C extension for mtrace's Python end-to-end tests (built by the
 * tests with the interpreter under test's headers, -O0 -g): allocations made
 * by C code with the GIL released, from a thread with a Python thread state
 * and from a plain pthread that never had one. Lines tagged @name are looked
 * up by the tests. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *kept;                      /* hold(): the block stays live */

/* hold(n): mallocs n bytes with the GIL released and keeps them. */
static PyObject *hold(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "negative size");
    void *p;
    Py_BEGIN_ALLOW_THREADS
    p = malloc((size_t)n); /* @ext_hold */
    Py_END_ALLOW_THREADS
    if (!p)
        return PyErr_NoMemory();
    free(kept);
    kept = p;
    Py_RETURN_NONE;
}

/* A C-level loop that touches no Python object: malloc and free. */
static long churn_loop(long iters)
{
    long sum = 0;
    for (long i = 0; i < iters; i++) {
        unsigned char *p = malloc(64 + (size_t)(i % 8) * 16); /* @ext_churn */
        if (!p)
            return -1;
        p[0] = (unsigned char)i;
        sum += p[0] != 0;
        free(p);
    }
    return sum;
}

/* churn(iters): the loop in this thread, with the GIL released. */
static PyObject *churn(PyObject *self, PyObject *arg)
{
    (void)self;
    long iters = PyLong_AsLong(arg);
    if (iters == -1 && PyErr_Occurred())
        return NULL;
    long r;
    Py_BEGIN_ALLOW_THREADS
    r = churn_loop(iters);
    Py_END_ALLOW_THREADS
    if (r < 0)
        return PyErr_NoMemory();
    return PyLong_FromLong(iters);
}

static void *native_main(void *arg)
{
    long iters = *(long *)arg;
    void *leak = malloc(4321); /* @ext_native_leak */
    (void)leak;
    *(long *)arg = churn_loop(iters);
    return NULL;
}

/* native_churn(iters): the loop in a new pthread, which has no Python
 * thread state at all; joined with the GIL released. */
static PyObject *native_churn(PyObject *self, PyObject *arg)
{
    (void)self;
    long iters = PyLong_AsLong(arg);
    if (iters == -1 && PyErr_Occurred())
        return NULL;
    pthread_t t;
    int err;
    Py_BEGIN_ALLOW_THREADS
    err = pthread_create(&t, NULL, native_main, &iters);
    if (!err)
        pthread_join(t, NULL);
    Py_END_ALLOW_THREADS
    if (err)
        return PyErr_Format(PyExc_OSError, "pthread_create: %s", strerror(err));
    if (iters < 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* leak(n): mallocs n bytes and forgets the pointer, a real leak for the
 * leak-check tests. */
static PyObject *leak(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "negative size");
    char *volatile p = malloc((size_t)n); /* @ext_leak */
    if (!p)
        return PyErr_NoMemory();
    memset(p, 0x5a, (size_t)n);
    p = NULL;
    Py_RETURN_NONE;
}

/* paths(n): one allocating helper reached through two C paths of the same
 * shape (the stack memo keeps them apart above the eval loop), left for
 * odd n, right for even n; each allocation is n bytes. */
static void *volatile path_sink;
__attribute__((noinline)) static void path_alloc(long n)
{
    path_sink = malloc((size_t)n); /* @ext_path */
    free(path_sink);
}
__attribute__((noinline)) static void path_left(long n) { path_alloc(n); }
__attribute__((noinline)) static void path_right(long n) { path_alloc(n); }

static PyObject *paths(PyObject *self, PyObject *arg)
{
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n <= 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "size must be > 0");
    if (n % 2)
        path_left(n);
    else
        path_right(n);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"paths", paths, METH_O, "malloc n bytes through one of two C paths"},
    {"leak", leak, METH_O, "malloc n bytes and lose the pointer"},
    {"hold", hold, METH_O, "malloc n bytes without the GIL and keep them"},
    {"churn", churn, METH_O, "malloc/free loop without the GIL"},
    {"native_churn", native_churn, METH_O, "the loop in a pthread without a thread state"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mtext", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_mtext(void)
{
    return PyModule_Create(&module);
}
