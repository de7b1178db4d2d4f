// C++ test program: namespaces, a class with a static member, methods.
#include <cstdio>

namespace app {
struct Config {
	int limit;
	long retries;
	static int instances;
};
int Config::instances = 3;
Config config = {10, 20};
namespace inner {
double scale = 1.5;
}
} // namespace app

class Widget {
public:
	static int count;
	int size;
	int bump(int by) { size += by; return size; }
};
int Widget::count = 9;
Widget widget = {4};

int main()
{
	app::config.limit++;
	std::printf("%d %d\n", widget.bump(app::config.limit), Widget::count);
	return 0;
}
