// C++: new/delete, new[] leaked at a known line, and a global object whose
// destructor deletes its buffer at exit (not a leak).
#include <cstdio>
#include <vector>

struct Holder {
    int *buf;
    Holder() : buf(new int[2048]) {} // @global_ctor
    ~Holder() { delete[] buf; }
};
Holder global_holder;

struct Node { long v[4]; };
Node *volatile leaked_nodes[100];

__attribute__((noinline)) static void leak_nodes()
{
    for (int i = 0; i < 100; i++)
        leaked_nodes[i] = new Node(); // @cxx_leak
}

__attribute__((noinline)) static long vector_work()
{
    long sum = 0;
    for (int i = 0; i < 50; i++) {
        std::vector<long> v(1000); // @cxx_vector
        sum += (long)v.size();
    }
    return sum;
}

int main()
{
    leak_nodes();
    std::printf("%ld\n", vector_work());
    return 0;
}
