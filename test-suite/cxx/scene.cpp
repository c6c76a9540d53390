// C++ as users write it (issue 17): virtual calls, std::vector, std::string and std::map, and
// names the way clang++ and wasm-ld leave them (demangled, with parameter lists). F candidates:
// Scene::step(float) (a method with an overload, Scene::step(int)) and sorted_unique.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

struct Shape {
  virtual ~Shape() = default;
  virtual float area() const = 0;
  virtual std::string name() const = 0;
};
struct Square : Shape {
  float side;
  explicit Square(float s) : side(s) {}
  float area() const override { return side * side; }
  std::string name() const override { return "square"; }
};
struct Circle : Shape {
  float r;
  explicit Circle(float radius) : r(radius) {}
  float area() const override { return 3.14159f * r * r; }
  std::string name() const override { return "circle"; }
};

struct Scene {
  std::vector<Shape *> shapes;
  std::map<std::string, float> totals;
  float time = 0;
  __attribute__((noinline)) float step(float dt);
  __attribute__((noinline)) float step(int ticks) { return step(static_cast<float>(ticks) * 0.5f); }
};

float Scene::step(float dt) {
  time += dt;
  float sum = 0;
  for (Shape *s : shapes) {
    float a = s->area() * time;
    totals[s->name()] += a;
    sum += a;
  }
  return sum;
}

__attribute__((noinline)) std::vector<int> sorted_unique(std::vector<int> v) {
  std::vector<int> out;
  for (int x : v) {
    auto it = out.begin();
    while (it != out.end() && *it < x) ++it;
    if (it == out.end() || *it != x) out.insert(it, x);
  }
  return out;
}

int main() {
  Scene scene;
  scene.shapes = {new Square(2), new Circle(1), new Square(0.5f)};
  float total = 0;
  for (int i = 0; i < 40; i++) total += (i % 4 == 3) ? scene.step(i) : scene.step(0.25f);
  std::vector<int> v;
  for (int i = 0; i < 200; i++) v.push_back((i * 37) % 50);
  std::vector<int> u = sorted_unique(v);
  std::printf("total %.3f, %zu unique, first %d last %d\n", total, u.size(), u.front(), u.back());
  for (const auto &kv : scene.totals) std::printf("%s %.3f\n", kv.first.c_str(), kv.second);
  for (Shape *s : scene.shapes) delete s;
  return 0;
}
