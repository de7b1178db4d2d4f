// app: C++ names: a namespace, a static member, a method; demangled in
// reports and completion.
#include <cstdio>

namespace app {
struct Config {
	int limit;
	static int instances;
	void tune(int v);
};
int Config::instances = 0;
Config config = {10};

void Config::tune(int v) {
	limit = v; // tune line
	instances++;
}
} // namespace app

int main() {
	app::config.tune(20);
	std::printf("limit=%d instances=%d\n", app::config.limit, app::Config::instances);
	return 0;
}
